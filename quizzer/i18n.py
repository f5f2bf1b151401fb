"""The words quizzer itself says, in English and Chinese.

Question text comes from the generators (quizzer.generators.localized) and concept cards
from the decks; this module holds the session's and commands' own lines. A test checks
that every key has both languages and the same {placeholders}.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "header": {
        "en": "── {label} · {family} · level {level} · {mode} ──",
        "zh": "── {label} · {family} · 难度 {level} · {mode} ──",
    },
    "concept_header": {
        "en": "── {label} · concept · {deck} · {mode} ──",
        "zh": "── {label} · 概念卡 · {deck} · {mode} ──",
    },
    "mode_review": {"en": "review", "zh": "复习"},
    "mode_practice": {"en": "practice", "zh": "练习"},
    "answer_prompt": {"en": "answer> ", "zh": "答案> "},
    "verifying": {
        "en": "(verifying the question with torch...)",
        "zh": "（正在用 torch 验证题目……）",
    },
    "failed_verification": {
        "en": "skipped a {family} question that failed verification: {error}",
        "zh": "跳过一道未通过验证的 {family} 题目：{error}",
    },
    "help": {
        "en": "Type your answer and press Enter.\n"
        "  ?  this help\n"
        "  s  skip: show the answer (counts as not known)\n"
        "  q  quit: end the session (every answer so far is saved)\n"
        "Ctrl-C or Ctrl-D also end the session with its summary.\n"
        "Answer forms: {hint}.",
        "zh": "输入答案后按回车。\n"
        "  ?  显示本帮助\n"
        "  s  跳过：显示答案（记为不会）\n"
        "  q  退出：结束本次练习（已作答的都已保存）\n"
        "Ctrl-C 或 Ctrl-D 也会结束并显示小结。\n"
        "答案格式：{hint}。",
    },
    "cant_read": {
        "en": "Can't read that: {hint}. (No attempt used; ? for help)",
        "zh": "无法识别：{hint}。（不计作答次数；输入 ? 查看帮助）",
    },
    "skipped": {"en": "Skipped. The answer is {answer}.", "zh": "已跳过。答案是 {answer}。"},
    "correct": {"en": "✓ Correct: {answer}", "zh": "✓ 正确：{answer}"},
    "wrong": {"en": "✗ Not quite. The answer is {answer}.", "zh": "✗ 不对。正确答案是 {answer}。"},
    "likely_mistake": {
        "en": "Likely mistake ({id}): {why}",
        "zh": "可能的错误（{id}）：{why}",
    },
    "kept_changed": {
        "en": "This {family} question was changed in the database since it was verified: "
        "it is dropped, and your answer to it is not recorded.",
        "zh": "这道 {family} 题目在验证之后被数据库中的改动修改过：已丢弃，你的回答不会被记录。",
    },
    "likely_mistakes": {
        "en": "{n} known mistakes give exactly this answer:",
        "zh": "有 {n} 种常见错误都会得到这个答案：",
    },
    "mistake_either": {"en": "  either ({id}): {why}", "zh": "  要么（{id}）：{why}"},
    "mistake_or": {"en": "  or ({id}): {why}", "zh": "  要么（{id}）：{why}"},
    "worked_solution": {"en": "Worked solution:", "zh": "解题过程："},
    "torch_check": {"en": "Torch check ({how}):", "zh": "torch 验证（{how}）："},
    "prints": {"en": "# prints: ", "zh": "# 输出: "},
    "rating_prompt": {
        "en": "Rated Good. Enter keeps it; h Hard, e Easy: ",
        "zh": "评为「良好」。回车保留；h 困难，e 简单：",
    },
    "rating_retry": {
        "en": "Press Enter to keep Good, or type h (Hard) or e (Easy); q quits, ? helps.",
        "zh": "回车保留「良好」，或输入 h（困难）、e（简单）；q 退出，? 帮助。",
    },
    "rating_help": {
        "en": "Your answer is saved, rated Good. How hard was it to get right?\n"
        "  Enter (or g, 3)  Good: as expected\n"
        "  h (or 2)         Hard: right, but with real effort (the card comes back sooner)\n"
        "  e (or 4)         Easy: no effort at all (it comes back later)\n"
        "  q                quit: end the session (this answer stays saved, rated Good)",
        "zh": "你的回答已保存，评为「良好」。答对有多难？\n"
        "  回车（或 g、3）  良好：正常\n"
        "  h（或 2）        困难：答对了，但很费力（会更早再出现）\n"
        "  e（或 4）        简单：毫不费力（会更晚再出现）\n"
        "  q                退出：结束本次练习（这次回答保持已保存，评为「良好」）",
    },
    "rated": {"en": "Rated {rating}.", "zh": "已评为「{rating}」。"},
    "rating_Hard": {"en": "Hard", "zh": "困难"},
    "rating_Easy": {"en": "Easy", "zh": "简单"},
    "concept_show": {
        "en": "(Enter shows the answer; s skip, q quit) ",
        "zh": "（回车显示答案；s 跳过，q 退出）",
    },
    "concept_grade": {
        "en": "Did you know it? 1 Again, 2 Hard, Enter Good, 4 Easy: ",
        "zh": "你答对了吗？1 重来，2 困难，回车 良好，4 简单：",
    },
    "concept_retry": {
        "en": "Type 1, 2, 4, or press Enter for 3 (Good); q quits, ? helps.",
        "zh": "请输入 1、2、4，或按回车表示 3（良好）；q 退出，? 帮助。",
    },
    "concept_help": {
        "en": "Grade yourself against the answer shown:\n"
        "  1 (or a)          Again: you did not know it (it comes back soon)\n"
        "  2 (or h)          Hard: you knew it with real effort\n"
        "  Enter (or 3, g)   Good: you knew it\n"
        "  4 (or e)          Easy: you knew it at once\n"
        "  q                 quit: end the session (this card is not graded)",
        "zh": "对照显示的答案给自己评分：\n"
        "  1（或 a）         重来：不会（很快会再出现）\n"
        "  2（或 h）         困难：很费力才想起来\n"
        "  回车（或 3、g）   良好：会\n"
        "  4（或 e）         简单：一下就会\n"
        "  q                 退出：结束本次练习（这张卡不评分）",
    },
    "concept_show_help": {
        "en": "Recall the answer, then press Enter to see it and grade yourself.\n"
        "  s  skip: show the answer (counts as not known)\n"
        "  q  quit: end the session (every answer so far is saved)",
        "zh": "先回想答案，再按回车查看答案并给自己评分。\n"
        "  s  跳过：显示答案（记为不会）\n"
        "  q  退出：结束本次练习（已作答的都已保存）",
    },
    "session_over": {
        "en": "Session over: {answered} answered in {elapsed}, {right} right, {wrong} wrong.",
        "zh": "本次结束：共答 {answered} 题，用时 {elapsed}，对 {right} 题，错 {wrong} 题。",
    },
    "group_row": {
        "en": "  {group} {right:>3} right {wrong:>3} wrong",
        "zh": "  {group} 对 {right:>3}  错 {wrong:>3}",
    },
    "due_now": {"en": "Due now: {n}.", "zh": "当前到期：{n} 张。"},
    "next_due": {
        "en": "Next review due: {when} (quizzer review).",
        "zh": "下次复习时间：{when}（quizzer review）。",
    },
    "now": {"en": "now", "zh": "现在"},
    "nothing_scheduled": {
        "en": "Nothing scheduled yet: quizzer review introduces new cards each day.",
        "zh": "还没有安排复习：quizzer review 每天会引入新卡片。",
    },
    "see_stats": {
        "en": "Your progress, weakest skills and common mistakes: quizzer stats "
        "(or quizzer report for charts).",
        "zh": "学习进度、薄弱技能和常见错误：quizzer stats（图表版：quizzer report）。",
    },
    "practice_note": {
        "en": "Practice leaves the schedule as it was; quizzer stats shows progress.",
        "zh": "练习不改变复习计划；用 quizzer stats 查看进度。",
    },
    "nothing_due": {
        "en": "Nothing is due right now.{later} (quizzer quiz practises anyway.)",
        "zh": "现在没有到期的卡片。{later}（可以用 quizzer quiz 继续练习。）",
    },
    "later": {"en": " Next review due: {when}.", "zh": " 下次复习时间：{when}。"},
    "concept_group": {"en": "concept {deck}", "zh": "概念卡 {deck}"},
    "not_saved": {
        "en": "Your last answer was NOT saved: {reason}. Answers saved in this session: "
        "{saved}. The session ends here.",
        "zh": "刚才的答案没有保存：{reason}。本次已保存的答案：{saved} 个。本次练习到此结束。",
    },
    "rating_not_saved": {
        "en": "Your change of rating was NOT saved: {reason}. Your answer is saved, rated "
        "Good. Answers saved in this session: {saved}. The session ends here.",
        "zh": "评分的更改没有保存：{reason}。你的答案已保存，评为「良好」。本次已保存的答案："
        "{saved} 个。本次练习到此结束。",
    },
    "not_read": {
        "en": "The database could not be read: {reason}. Answers saved in this session: "
        "{saved}. The session ends here.",
        "zh": "无法读取数据库：{reason}。本次已保存的答案：{saved} 个。本次练习到此结束。",
    },
    "not_rerated": {
        "en": "Rating not changed: this card was reviewed again in another session since.",
        "zh": "评分未更改：此后这张卡片已在另一个会话中再次复习。",
    },
    "summary_unavailable": {
        "en": "(The schedule could not be read: {reason}.)",
        "zh": "（无法读取复习计划：{reason}。）",
    },
    "optimize_too_little": {
        "en": "not enough history to fit FSRS to your memory: quizzer optimize needs "
        "{needed} reviews made at least a day after the same card's previous review, and you have "
        "{have}; keep reviewing (quizzer review) and try again later",
        "zh": "复习记录还不够，无法按你的记忆拟合 FSRS：quizzer optimize 需要 {needed} 次"
        "距同一卡片上次复习至少一天的复习，你目前有 {have} 次；请继续复习（quizzer review）"
        "后再试",
    },
    "optimize_stage_read": {"en": "reading your reviews", "zh": "读取复习记录"},
    "optimize_stage_fit": {"en": "fitting ({optimizer})", "zh": "拟合中（{optimizer}）"},
    "optimize_stage_default": {
        "en": "scoring FSRS's default parameters",
        "zh": "评估 FSRS 默认参数",
    },
    "optimize_stage_fitted": {"en": "scoring the fitted parameters", "zh": "评估拟合参数"},
    "optimize_stage_retention": {
        "en": "simulating desired retentions",
        "zh": "模拟不同的目标记忆保持率",
    },
    "optimize_split": {
        "en": "Fitted with {optimizer} on your {fitted} before {split}; scored on the "
        "{held_out} since then that came a day or more after the card's previous review "
        "(held out: not fitted on).",
        "zh": "用 {optimizer} 在你 {split} 之前的 {fitted}上拟合；在此后距同一卡片上次复习"
        "至少一天的 {held_out}上评估（留出数据，未参与拟合）。",
    },
    "optimize_col_params": {"en": "parameters", "zh": "参数"},
    "optimize_col_log_loss": {"en": "log loss", "zh": "对数损失"},
    "optimize_col_rmse": {"en": "RMSE (bins)", "zh": "RMSE（分箱）"},
    "optimize_row_default": {"en": "FSRS's defaults", "zh": "FSRS 默认"},
    "optimize_row_fitted": {"en": "fitted to you", "zh": "按你拟合"},
    "optimize_kept": {
        "en": "Kept: the fitted parameters predict your held-out reviews better (log loss "
        "{fitted} against {default}); they schedule your reviews from now on.",
        "zh": "已采用：拟合参数对留出复习的预测更准（对数损失 {fitted}，默认为 {default}）；"
        "今后将用它们安排你的复习。",
    },
    "optimize_not_kept": {
        "en": "Not kept: the fitted parameters predict your held-out reviews no better than "
        "FSRS's defaults (log loss {fitted} against {default}); {staying} stay in use.",
        "zh": "未采用：拟合参数对留出复习的预测不比 FSRS 默认参数更准（对数损失 {fitted}，"
        "默认为 {default}）；继续使用{staying}。",
    },
    "optimize_staying_default": {"en": "FSRS's defaults", "zh": "FSRS 默认参数"},
    "optimize_staying_fitted": {
        "en": "the parameters fitted on {date}",
        "zh": "{date} 拟合的参数",
    },
    "optimize_would_keep": {
        "en": "Would keep them: the fitted parameters predict your held-out reviews better "
        "(log loss {fitted} against {default}). --dry-run: nothing was saved.",
        "zh": "将会采用：拟合参数对留出复习的预测更准（对数损失 {fitted}，默认为 {default}）。"
        "--dry-run：未保存任何内容。",
    },
    "optimize_would_not_keep": {
        "en": "Would not keep them: the fitted parameters predict your held-out reviews no "
        "better than FSRS's defaults (log loss {fitted} against {default}). --dry-run: "
        "nothing was saved.",
        "zh": "不会采用：拟合参数对留出复习的预测不比 FSRS 默认参数更准（对数损失 {fitted}，"
        "默认为 {default}）。--dry-run：未保存任何内容。",
    },
    "optimize_retention": {
        "en": "Suggested desired retention: {suggested} (the least review time per card "
        "remembered, simulated from your own answer times; now {current}). Set it with: "
        "quizzer config retention {suggested}",
        "zh": "建议的目标记忆保持率：{suggested}（按你自己的答题用时模拟，每记住一张卡片所花"
        "复习时间最少；当前为 {current}）。设置方法：quizzer config retention {suggested}",
    },
    "optimize_retention_lowest": {
        "en": "Suggested desired retention: {suggested}, the lowest quizzer's search allows: "
        "your answers cost so little time, the wrong ones included, that in fsrs-rs's "
        "simulation of your own answer times forgetting a card and learning it again costs "
        "less than reviewing it often; a still lower retention might save more, but quizzer "
        "does not search below {suggested}. Now {current}. Set it with: quizzer config "
        "retention {suggested}",
        "zh": "建议的目标记忆保持率：{suggested}，这是 quizzer 搜索范围的下限：你的答题用时很短"
        "（答错的也是），按你自己的答题用时模拟，忘记一张卡片再重新学会，比频繁复习它花的时间"
        "更少；更低的保持率也许还能省时间，但 quizzer 不在 {suggested} 以下搜索。当前为 "
        "{current}。设置方法：quizzer config retention {suggested}",
    },
    "optimize_interrupted": {
        "en": "quizzer optimize: interrupted; nothing was saved",
        "zh": "quizzer optimize：已中断；没有保存任何内容",
    },
    "topics_families": {
        "en": "Generator families (quizzer quiz FAMILY):",
        "zh": "生成题族（quizzer quiz 题族）：",
    },
    "topics_decks": {
        "en": "Concept decks (reviewed by quizzer review):",
        "zh": "概念卡组（quizzer review 复习）：",
    },
    "topics_levels": {"en": "levels 1-{top}", "zh": "难度 1-{top}"},
    "config_whole_number": {
        "en": "{setting} must be a whole number from {lo} to {hi}",
        "zh": "{setting} 必须是 {lo} 到 {hi} 之间的整数",
    },
    "config_number": {
        "en": "{setting} must be a number from {lo} to {hi}",
        "zh": "{setting} 必须是 {lo} 到 {hi} 之间的数",
    },
    "config_choice": {
        "en": "{setting} must be one of: {choices}",
        "zh": "{setting} 必须是以下之一：{choices}",
    },
    # Counted nouns, filled by counted(): "{n} reviews", and the `_one` form for n = 1
    # (Chinese has no plural: its `_one` entries repeat the general text).
    "n_reviews": {"en": "{n} reviews", "zh": "{n} 次复习"},
    "n_reviews_one": {"en": "{n} review", "zh": "{n} 次复习"},
    "n_scheduled_reviews": {"en": "{n} scheduled reviews", "zh": "{n} 次计划复习"},
    "n_scheduled_reviews_one": {"en": "{n} scheduled review", "zh": "{n} 次计划复习"},
    "n_cards": {"en": "{n} cards", "zh": "{n} 张卡片"},
    "n_cards_one": {"en": "{n} card", "zh": "{n} 张卡片"},
    "n_rows": {"en": "{n} rows", "zh": "{n} 行"},
    "n_rows_one": {"en": "{n} row", "zh": "{n} 行"},
    "n_notes": {"en": "{n} notes", "zh": "{n} 条笔记"},
    "n_notes_one": {"en": "{n} note", "zh": "{n} 条笔记"},
    "n_decks": {"en": "{n} decks", "zh": "{n} 个卡组"},
    "n_decks_one": {"en": "{n} deck", "zh": "{n} 个卡组"},
    "n_variants": {"en": "{n} variants", "zh": "{n} 个变体"},
    "n_variants_one": {"en": "{n} variant", "zh": "{n} 个变体"},
    "n_distinct_questions": {"en": "{n} distinct questions", "zh": "{n} 道不同的题目"},
    "n_distinct_questions_one": {"en": "{n} distinct question", "zh": "{n} 道不同的题目"},
}


def _topic_names() -> dict[str, dict[str, str]]:
    """Topic names per language, read from quizzer/report.toml's [LANG.topics] tables (the
    report's words): one source for the report, `stats` and `topics`. Generator families
    also carry topic_zh, which a test keeps equal to these."""
    import tomllib
    from pathlib import Path

    text = tomllib.loads(Path(__file__).with_name("report.toml").read_text(encoding="utf-8"))
    return {lang: dict(text[lang]["topics"]) for lang in LANGUAGES}


TOPIC_NAMES = _topic_names()
TOPICS_ZH = TOPIC_NAMES["zh"]  # English topic name -> Chinese, "Other" included


def topic(name: str, lang: str) -> str:
    """A topic's name in `lang` (the English name for a topic the table lacks)."""
    return TOPIC_NAMES.get(lang, {}).get(name, name)


def t(key: str, lang: str = "en", **fields: object) -> str:
    """The message `key` in `lang` (English if the language lacks it), filled in."""
    table = MESSAGES[key]
    return table.get(lang, table["en"]).format(**fields)


def counted(key: str, n: int, lang: str = "en") -> str:
    """A count with its noun: MESSAGES[key + "_one"] when n is 1, else MESSAGES[key]; {n}
    filled with thousands separators ("1 review", "1,208 cards", "3 次复习")."""
    return t(f"{key}_one" if n == 1 and f"{key}_one" in MESSAGES else key, lang, n=f"{n:,}")
