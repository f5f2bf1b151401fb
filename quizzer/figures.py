"""What each progress figure means. Plain data, imported by `quizzer stats --help`
without loading the database layer."""

WEAKEST_MIN_ANSWERS = 3

FIGURES = {
    "cards": "active cards by FSRS state (new = never reviewed)",
    "due.now / due.today / due.overdue": "cards due now; due by the end of today "
    "(overdue included); due before today began",
    "forecast": "cards due on each of the next 30 days (today includes overdue)",
    "heatmap": "answers (reviews and practice) on each day of the last 365 days",
    "streak": "days in a row with at least one answer, up to today (current; a streak "
    "still counts until the end of the day after its last answer) and ever (longest)",
    "time_spent_minutes": "time taken to answer (from prompt to answer): today, the last "
    "7 and 30 days (today included), and in all",
    "retention.true_30d": "true retention: share of scheduled reviews of cards in the "
    "Review state (not new, not (re)learning) answered right, last 30 days; compare with "
    "retention.desired, the target FSRS schedules for",
    "accuracy_30d": "share of right answers per family and per topic, reviews and "
    "practice, last 30 days (the 30 x 24 hours before now)",
    "weakest_skills": f"the five skills (family x level) with the lowest accuracy in the "
    f"last 30 days (at least {WEAKEST_MIN_ANSWERS} answers, at least one of them wrong: a "
    "skill always answered right is not weak), ties broken by lower recall; "
    "recall = FSRS probability of remembering the skill now",
    "misconceptions": "the named mistakes that explain most wrong answers in the last 30 "
    "days, with their share of all wrong answers; when several known mistakes give the "
    "same wrong answer, that answer counts once for each of them (so the shares may add "
    "up to more than 100%)",
    "calibration": "how well FSRS's predicted recall matched your answers: reviews = the "
    "scheduled reviews scored, only those at least one day after the card's previous "
    "review (FSRS predicts recall across days; same-day relearning steps are left out, as "
    "FSRS's optimizer and srs-benchmark do); log_loss = mean of -ln(predicted probability "
    "of what happened); rmse_bins = srs-benchmark's RMSE over bins of elapsed days, review "
    "number and lapses; parameters = the FSRS parameters in use (default, or optimized: "
    "fitted by quizzer optimize); predicted_by = how many of the scored reviews were "
    "predicted by the default parameters and how many by fitted ones (each review's "
    "prediction is the one made when it was answered, so the figures score those); fitted = "
    "when the parameters in use were fitted and their held-out log loss and RMSE against the "
    "defaults' (null while the defaults schedule)",
    "timezone": "the learner's time zone ($TZ, else the system's): every day and week above "
    "is a local date there, from local midnight to local midnight (23 or 25 hours across "
    "a daylight-saving change); weeks start on Monday",
}
