# Golden values for past_outcomes.stats.blinding (compute_blinding_index) from R package BI 1.2.0
# (Schwartz and Mercaldo, CRAN; installed from github:cran/BI with R CMD INSTALL).
# Run from the repository root:  Rscript tests/golden/blinding/make_golden.R
# Writes tests/golden/blinding/golden.csv: one row per table and index (two-sided 95% CIs).
# Count tables are 3 x 2: rows guess treatment, guess control, don't know; columns arm
# treatment, control (BI's layout). Published examples, then random tables (seed 2024).
library(BI)

tables <- list(
  crisp_bang2004_table7 = c(82, 27, 25, 29, 170, 83),
  houweling2014_investigators = c(48, 22, 4, 30, 330, 319),
  houweling2014_coordinators = c(94, 52, 11, 44, 289, 284),
  no_dont_know = c(30, 10, 12, 28, 0, 0),
  all_correct = c(20, 0, 0, 20, 0, 0),
  all_incorrect = c(0, 15, 15, 0, 0, 0),
  all_dont_know = c(0, 0, 0, 0, 25, 25)
)
set.seed(2024)
for (k in 1:12) {
  tables[[sprintf("random_%02d", k)]] <- sample(0:40, 6, replace = TRUE) + c(1, 1, 1, 1, 0, 0)
}

rows <- list()
for (name in names(tables)) {
  x <- matrix(tables[[name]], nrow = 3, ncol = 2, byrow = TRUE)
  bi <- BI(x)
  cells <- paste(as.vector(t(x)), collapse = " ")  # row-wise: tt tc ct cc dkt dkc
  j <- bi$JamesBI
  rows[[length(rows) + 1]] <- data.frame(table = name, counts = cells, index = "james",
    arm = "overall", estimate = j[1, 1], se = j[1, 2], ci_low = j[1, 3], ci_high = j[1, 4])
  b <- bi$BangBI
  for (a in 1:2) {
    rows[[length(rows) + 1]] <- data.frame(table = name, counts = cells, index = "bang",
      arm = c("treatment", "control")[a], estimate = b[a, 1], se = b[a, 2],
      ci_low = b[a, 3], ci_high = b[a, 4])
  }
}
out <- do.call(rbind, rows)
write.csv(out, "tests/golden/blinding/golden.csv", row.names = FALSE)
cat(sprintf("R %s, BI %s: %d rows\n", getRversion(), packageVersion("BI"), nrow(out)))
