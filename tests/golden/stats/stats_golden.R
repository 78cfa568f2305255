# Golden values for tests/test_stats.py, from R (stats, emmeans, psych, metafor).
# Run from the repository root:  Rscript tests/golden/stats/stats_golden.R
# Writes tests/golden/stats/golden_r.csv (columns: name, value), full precision.
suppressPackageStartupMessages({
  library(emmeans); library(psych); library(metafor)
})
here <- "tests/golden/stats"
out <- list()
put <- function(name, value) out[[name]] <<- unname(as.numeric(value))

trial <- read.csv(file.path(here, "trial_long.csv"))
wide <- reshape(trial, idvar = c("subject", "group"), timevar = "timepoint",
                direction = "wide")
wide <- wide[order(wide$subject), ]

# ---- paired, all 44 subjects, measure "score" (post - pre) ----
pre <- wide$score.baseline; post <- wide$score.week12
tt <- t.test(post, pre, paired = TRUE)
put("paired_t", tt$statistic); put("paired_df", tt$parameter); put("paired_p", tt$p.value)
put("paired_ci_low", tt$conf.int[1]); put("paired_ci_high", tt$conf.int[2])
put("paired_mean_diff", tt$estimate)
wt <- wilcox.test(post, pre, paired = TRUE)          # exact: n < 50, no ties, no zeros
put("wilcoxon_p", wt$p.value)
n <- length(pre); d <- post - pre; r <- cor(pre, post)
put("r_prepost", r)
dz <- mean(d) / sd(d); put("cohen_dz", dz)
# exact CI of d_z: noncentral t inverted with uniroot (independent of scipy.stats.nct)
tobs <- dz * sqrt(n)
ncp_lo <- uniroot(function(ncp) pt(tobs, n - 1, ncp) - 0.975, c(-50, 50), tol = 1e-12)$root
ncp_hi <- uniroot(function(ncp) pt(tobs, n - 1, ncp) - 0.025, c(-50, 50), tol = 1e-12)$root
put("cohen_dz_ci_low", ncp_lo / sqrt(n)); put("cohen_dz_ci_high", ncp_hi / sqrt(n))
dav <- mean(d) / ((sd(pre) + sd(post)) / 2); put("cohen_dav", dav)
se_av <- sqrt((1 / n + dav^2 / (2 * n)) * (2 - 2 * r))
put("cohen_dav_ci_low", dav - qt(0.975, n - 1) * se_av)
put("cohen_dav_ci_high", dav + qt(0.975, n - 1) * se_av)
drm <- dz * sqrt(2 * (1 - r)); put("cohen_drm", drm)
put("hedges_gav", dav * (1 - 3 / (4 * (n - 1) - 1)))
# psych::cohen.d.by? -- no paired d in psych; d_z also equals t / sqrt(n):
put("dz_from_t", tt$statistic / sqrt(n))

# ---- second measure for the Holm / BH adjustment ----
tt2 <- t.test(wide$other.week12, wide$other.baseline, paired = TRUE)
put("paired2_p", tt2$p.value)
put("holm_1", p.adjust(c(tt$p.value, tt2$p.value), "holm")[1])
put("holm_2", p.adjust(c(tt$p.value, tt2$p.value), "holm")[2])
put("bh_1", p.adjust(c(tt$p.value, tt2$p.value), "BH")[1])
put("bh_2", p.adjust(c(tt$p.value, tt2$p.value), "BH")[2])

# ---- ANCOVA: lm(post ~ group + pre), placebo the reference ----
wide$group <- relevel(factor(wide$group), ref = "placebo")
fit <- lm(score.week12 ~ group + score.baseline, data = wide)
co <- summary(fit)$coefficients
ci <- confint(fit)
put("ancova_diff", co["groupdrug", "Estimate"]); put("ancova_se", co["groupdrug", "Std. Error"])
put("ancova_t", co["groupdrug", "t value"]); put("ancova_p", co["groupdrug", "Pr(>|t|)"])
put("ancova_ci_low", ci["groupdrug", 1]); put("ancova_ci_high", ci["groupdrug", 2])
put("ancova_df", fit$df.residual)
em <- summary(emmeans(fit, ~ group))                 # LS means at the mean baseline
put("emm_drug", em$emmean[em$group == "drug"]); put("emm_drug_se", em$SE[em$group == "drug"])
put("emm_drug_low", em$lower.CL[em$group == "drug"])
put("emm_drug_high", em$upper.CL[em$group == "drug"])
put("emm_placebo", em$emmean[em$group == "placebo"])
put("emm_placebo_se", em$SE[em$group == "placebo"])
# on the change scale (method = "ancova-change"): same difference, means shift by -mean(pre)
fitc <- lm(I(score.week12 - score.baseline) ~ group + score.baseline, data = wide)
put("ancova_change_diff", coef(fitc)["groupdrug"])
emc <- summary(emmeans(fitc, ~ group))
put("emm_change_drug", emc$emmean[emc$group == "drug"])
# HC3 by hand (no sandwich package): (X'X)^-1 X' diag(e^2/(1-h)^2) X (X'X)^-1
X <- model.matrix(fit); e <- resid(fit); h <- hatvalues(fit)
bread <- solve(crossprod(X))
V <- bread %*% crossprod(X * (e / (1 - h))) %*% bread
put("ancova_hc3_se", sqrt(V["groupdrug", "groupdrug"]))

# ---- change scores between arms ----
chg <- wide$score.week12 - wide$score.baseline
ct <- chg[wide$group == "drug"]; cc <- chg[wide$group == "placebo"]
w <- t.test(ct, cc)                                  # Welch
put("welch_t", w$statistic); put("welch_df", w$parameter); put("welch_p", w$p.value)
put("welch_ci_low", w$conf.int[1]); put("welch_ci_high", w$conf.int[2])
mw <- wilcox.test(ct, cc)                            # exact: both n < 50, no ties
put("mw_W", mw$statistic); put("mw_p", mw$p.value)
# Cohen's d on change, pooled SD: hand arithmetic and psych::cohen.d
nt <- length(ct); nc <- length(cc)
sp <- sqrt(((nt - 1) * var(ct) + (nc - 1) * var(cc)) / (nt + nc - 2))
put("d_change", (mean(ct) - mean(cc)) / sp)
cd <- psych::cohen.d(data.frame(chg = chg, g = ifelse(wide$group == "drug", 2, 1)), "g")
put("psych_cohen_d", cd$cohen.d[1, "effect"])
put("psych_cohen_d_low", cd$cohen.d[1, "lower"]); put("psych_cohen_d_high", cd$cohen.d[1, "upper"])
# d_ppc2 from the arm summaries (Morris 2008 eq. 8 with the exact gamma correction)
cfun <- function(m) exp(lgamma(m / 2) - log(sqrt(m / 2)) - lgamma((m - 1) / 2))
pt_ <- wide$score.baseline[wide$group == "drug"]; pc_ <- wide$score.baseline[wide$group == "placebo"]
sdp <- sqrt(((nt - 1) * var(pt_) + (nc - 1) * var(pc_)) / (nt + nc - 2))
put("d_ppc2", cfun(nt + nc - 2) * (mean(ct) - mean(cc)) / sdp)

# ---- Morris 2008 / metafor example ----
datT <- data.frame(m_pre = c(30.6, 23.5, 0.5, 53.4, 35.6), m_post = c(38.5, 26.8, 0.7, 75.9, 36.0),
                   sd_pre = c(15.0, 3.1, 0.1, 14.5, 4.7), ni = c(20, 50, 9, 10, 14),
                   ri = c(.47, .64, .77, .89, .44))
datC <- data.frame(m_pre = c(23.1, 24.9, 0.6, 55.7, 34.8), m_post = c(19.7, 25.3, 0.6, 60.7, 33.4),
                   sd_pre = c(13.8, 4.1, 0.2, 17.3, 3.1), ni = c(20, 42, 9, 11, 14),
                   ri = c(.47, .64, .77, .89, .44))
eT <- escalc(measure = "SMCR", m1i = m_post, m2i = m_pre, sd1i = sd_pre, ni = ni, ri = ri, data = datT)
eC <- escalc(measure = "SMCR", m1i = m_post, m2i = m_pre, sd1i = sd_pre, ni = ni, ri = ri, data = datC)
for (k in 1:5) {
  put(sprintf("smcr_t_%d", k), eT$yi[k]); put(sprintf("smcr_t_var_%d", k), eT$vi[k])
  put(sprintf("smcr_c_%d", k), eC$yi[k])
  m <- datT$ni[k] + datC$ni[k] - 2
  sdpk <- sqrt(((datT$ni[k] - 1) * datT$sd_pre[k]^2 + (datC$ni[k] - 1) * datC$sd_pre[k]^2) / m)
  put(sprintf("dppc2_%d", k), cfun(m) * ((datT$m_post[k] - datT$m_pre[k]) -
                                           (datC$m_post[k] - datC$m_pre[k])) / sdpk)
}

# ---- 2x2 responder tables ----
two <- function(tag, xt, nt, xc, nc) {
  tab <- matrix(c(xt, nt - xt, xc, nc - xc), 2, byrow = TRUE)
  put(paste0(tag, "_fisher_p"), fisher.test(tab)$p.value)
  put(paste0(tag, "_chisq_p"), chisq.test(tab, correct = FALSE)$p.value)
  put(paste0(tag, "_chisq_yates_p"), suppressWarnings(chisq.test(tab))$p.value)
  # Newcombe (1998) method 10 by hand: Wilson limits of each arm, then combined
  wil <- function(x, n, z = qnorm(0.975)) {
    p <- x / n; c0 <- (p + z^2 / (2 * n)) / (1 + z^2 / n)
    h <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / (1 + z^2 / n); c(c0 - h, c0 + h)
  }
  p1 <- xt / nt; p2 <- xc / nc; w1 <- wil(xt, nt); w2 <- wil(xc, nc)
  put(paste0(tag, "_rd"), p1 - p2)
  put(paste0(tag, "_rd_low"), p1 - p2 - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2))
  put(paste0(tag, "_rd_high"), p1 - p2 + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
  # RR (log CI) and OR (Woolf logit CI) by hand
  rr <- p1 / p2; se <- sqrt(1 / xt - 1 / nt + 1 / xc - 1 / nc)
  put(paste0(tag, "_rr"), rr); put(paste0(tag, "_rr_low"), exp(log(rr) - qnorm(.975) * se))
  put(paste0(tag, "_rr_high"), exp(log(rr) + qnorm(.975) * se))
  or <- (xt * (nc - xc)) / ((nt - xt) * xc); se <- sqrt(1 / xt + 1 / (nt - xt) + 1 / xc + 1 / (nc - xc))
  put(paste0(tag, "_or"), or); put(paste0(tag, "_or_low"), exp(log(or) - qnorm(.975) * se))
  put(paste0(tag, "_or_high"), exp(log(or) + qnorm(.975) * se))
}
two("mapp2", 45, 52, 29, 42)
two("griffiths", 23, 25, 8, 25)

# ---- reliability ----
items <- read.csv(file.path(here, "items.csv"))
a <- psych::alpha(items, warnings = FALSE)
put("alpha", a$total$raw_alpha)
f1 <- psych::fa(items, nfactors = 1, fm = "minres")
L <- as.numeric(f1$loadings)
put("omega_model", sum(L)^2 / (sum(L)^2 + sum(1 - L^2)))   # (sum l)^2 / ((sum l)^2 + sum u)
om <- suppressWarnings(suppressMessages(psych::omega(items, nfactors = 1, plot = FALSE)))
put("psych_omega_t", om$omega.tot)
for (k in seq_along(L)) put(sprintf("loading_%d", k), L[k])

res <- data.frame(name = names(out), value = sprintf("%.15g", unlist(out)))
write.csv(res, file.path(here, "golden_r.csv"), row.names = FALSE, quote = FALSE)
cat(sprintf("%s = %s\n", res$name, res$value), sep = "")
