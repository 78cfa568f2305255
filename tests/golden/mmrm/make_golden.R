# Golden values for past_outcomes.fit_mmrm, from an independent implementation:
# nlme::gls (REML, unstructured covariance = corSymm + varIdent) and emmeans (Satterthwaite mode).
# Run from the repository root:   Rscript tests/golden/mmrm/make_golden.R
# Versions used are written to versions.csv next to the outputs.
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
})

here <- "tests/golden/mmrm"
d <- read.csv(file.path(here, "input.csv"), stringsAsFactors = FALSE)
d$visit <- factor(d$visit, levels = c("week2", "week4", "week8", "week12"))
d$arm <- factor(d$arm, levels = c("placebo", "active"))
d$site <- factor(d$site, levels = c("A", "B", "C"))
d$subject <- factor(d$subject)
# The rows with a missing outcome are those na.omit drops; dropping them here as well keeps
# emmeans' Satterthwaite gradient (which rebuilds the model matrix from the data) aligned.
d <- d[!is.na(d$chg), ]

write_fit <- function(fit, tag) {
  # coefficients with Satterthwaite df taken from the emmeans reference grid
  rg <- ref_grid(fit, mode = "satterthwaite")
  V <- vcov(fit)
  b <- coef(fit)
  df <- sapply(seq_along(b), function(j) {
    k <- numeric(length(b))
    k[j] <- 1
    rg@dffun(k, rg@dfargs)
  })
  write.csv(data.frame(term = names(b), estimate = unname(b), se = sqrt(diag(V)), dof = df),
            file.path(here, paste0("coefficients_", tag, ".csv")), row.names = FALSE)

  emm <- emmeans(fit, ~ arm | visit, mode = "satterthwaite")
  s <- as.data.frame(summary(emm, level = 0.95))
  write.csv(data.frame(group = s$arm, visit = s$visit, estimate = s$emmean, se = s$SE,
                       dof = s$df, ci_low = s$lower.CL, ci_high = s$upper.CL),
            file.path(here, paste0("lsmeans_", tag, ".csv")), row.names = FALSE)

  pr <- pairs(emm, reverse = TRUE)  # active - placebo within each visit
  p <- as.data.frame(summary(pr, infer = c(TRUE, TRUE), level = 0.95))
  write.csv(data.frame(visit = p$visit, contrast = p$contrast, estimate = p$estimate,
                       se = p$SE, dof = p$df, t = p$t.ratio, p_value = p$p.value,
                       ci_low = p$lower.CL, ci_high = p$upper.CL),
            file.path(here, paste0("contrasts_", tag, ".csv")), row.names = FALSE)

  # marginal covariance for a subject seen at all four visits
  full <- names(which(table(d$subject[!is.na(d$chg)]) == 4))[1]
  S <- getVarCov(fit, individual = full)
  write.csv(data.frame(visit = levels(d$visit), unclass(S), check.names = FALSE),
            file.path(here, paste0("covariance_", tag, ".csv")), row.names = FALSE)

  write.csv(data.frame(loglik = as.numeric(logLik(fit)), n_obs = fit$dims$N),
            file.path(here, paste0("loglik_", tag, ".csv")), row.names = FALSE)
}

ctrl <- glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500,
                    natural = FALSE)  # apVar on the optimisation scale: analytic Satterthwaite in emmeans

# A: the primary model of the spec
fit_a <- gls(chg ~ base + arm * visit, data = d,
             correlation = corSymm(form = ~ as.integer(visit) | subject),
             weights = varIdent(form = ~ 1 | visit),
             method = "REML", na.action = na.omit, control = ctrl)
write_fit(fit_a, "a")

# B: with a categorical covariate, to check equal weighting over its levels (as emmeans)
fit_b <- gls(chg ~ base + site + arm * visit, data = d,
             correlation = corSymm(form = ~ as.integer(visit) | subject),
             weights = varIdent(form = ~ 1 | visit),
             method = "REML", na.action = na.omit, control = ctrl)
write_fit(fit_b, "b")

# C: compound symmetry (homogeneous variance)
fit_c <- gls(chg ~ base + arm * visit, data = d,
             correlation = corCompSymm(form = ~ 1 | subject),
             method = "REML", na.action = na.omit, control = ctrl)
write_fit(fit_c, "c")

write.csv(data.frame(package = c("R", "nlme", "emmeans"),
                     version = c(paste(R.version$major, R.version$minor, sep = "."),
                                 as.character(packageVersion("nlme")),
                                 as.character(packageVersion("emmeans")))),
          file.path(here, "versions.csv"), row.names = FALSE)
