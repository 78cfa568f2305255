# Independent base-R implementation of the reliable-change formulas of the R package
# clinicalsignificance 3.0 (R/calc_rci.R, R/package-utils.R, R/calc_cutoff.R), as transcribed
# in analysis.md section 2.2, for the 8-subject golden data of tests/test_change.py.
# Run: Rscript tests/golden/change/rci_golden.R  (writes rci_golden.csv and cutoff_golden.csv)
# Cutoff b is computed twice: with the functional SD (Jacobson & Truax 1991, as in
# past_outcomes) and with the clinical SD (the R package's quirk), to show the difference.

pre  <- c(24, 28, 32, 36, 36, 40, 44, 48)
post <- c(36, 14, 26, 22, 30, 18, 34, 20)
r_xx <- 0.84
r_yy <- 0.80          # reliability_post for NK
dir  <- -1            # lower is better
m_func <- 12; sd_func <- 6

m_pre <- mean(pre); sd_pre <- sd(pre); m_post <- mean(post); sd_post <- sd(post)
r_pp <- cor(pre, post)
sem <- sd_pre * sqrt(1 - r_xx)
s_diff <- sqrt(2 * sem^2)
se_pred <- sd_pre * sqrt(1 - r_xx^2)

jt  <- (post - pre) / s_diff
gln <- ((post - m_pre) - r_xx * (pre - m_pre)) / se_pred
hll <- ((post - m_post) - r_xx * (pre - m_pre)) / se_pred
en  <- (post - (r_xx * (pre - m_pre) + m_pre)) / sem
nk  <- (post - (r_xx * (pre - m_pre) + m_pre)) /
  sqrt(r_xx^2 * sd_pre^2 * (1 - r_xx) + sd_pre^2 * (1 - r_yy))
r1 <- (sd_pre^2 - sem^2) / sd_pre^2
r2 <- (sd_post^2 - sem^2) / sd_post^2
r_dd <- (sd_pre^2 * r1 + sd_post^2 * r2 - 2 * sd_pre * sd_post * r_pp) /
  (sd_pre^2 + sd_post^2 - 2 * sd_pre * sd_post * r_pp)
ha <- ((post - pre) * r_dd + (m_post - m_pre) * (1 - r_dd)) / (sqrt(r_dd) * s_diff)

out <- data.frame(subject = paste0("s", 1:8), pre = pre, post = post,
                  jt = jt, gln = gln, hll = hll, en = en, nk = nk, ha = ha)
write.csv(format(out, digits = 17), "rci_golden.csv", row.names = FALSE, quote = FALSE)

# cutoffs: clinical population = sample pre scores
m_clin <- m_pre; sd_clin <- sd_pre
sem_c <- sd_clin * sqrt(1 - r_xx)
r_clin <- (sd_clin^2 - sem_c^2) / sd_clin^2
r_func <- (sd_func^2 - sem_c^2) / sd_func^2
r_post <- (sd_post^2 - sem_c^2) / sd_post^2
cut <- data.frame(
  quantity = c("jt_a", "jt_b", "jt_b_r_package", "jt_c", "ha_a", "ha_b", "ha_b_r_package", "ha_c",
               "r_dd", "r_pp", "r_post", "m_post", "sd_post"),
  value = c(
    m_clin + dir * 2 * sd_clin,
    m_func - dir * 2 * sd_func,
    m_func - dir * 2 * sd_clin,
    (sd_clin * m_func + sd_func * m_clin) / (sd_clin + sd_func),
    m_clin + dir * 2 * sd_clin * sqrt(r_clin),
    m_func - dir * 2 * sd_func * sqrt(r_func),
    m_func - dir * 2 * sd_clin * sqrt(r_clin),
    (sd_clin * sqrt(r_clin) * m_func + sd_func * sqrt(r_func) * m_clin) /
      (sd_clin * sqrt(r_clin) + sd_func * sqrt(r_func)),
    r_dd, r_pp, r_post, m_post, sd_post))
write.csv(format(cut, digits = 17), "cutoff_golden.csv", row.names = FALSE, quote = FALSE)

# HA per-person true-score clinical significance against cutoff c
cs <- (m_post + (post - m_post) * r_post - cut$value[cut$quantity == "ha_c"]) / (sqrt(r_post) * sem_c)
write.csv(format(data.frame(subject = paste0("s", 1:8), ha_cs_c = cs), digits = 17),
          "ha_cs_golden.csv", row.names = FALSE, quote = FALSE)
