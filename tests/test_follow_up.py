"""The follow-up message and the actions, on written emails: what each says and does not say, per rule of issue 10."""

import pytest

from analyser import analyse
from analyser.follow_up import FollowUpError, FollowUpFacts, compose, load_templates

DECLINED = (
    "Dear Amira,\n\nThank you for applying for the Payroll Officer role at Brantwood Homes. We have decided to "
    "appoint a candidate with more payroll experience. Due to the high volume of applications we are unable to "
    "provide individual feedback.\n\nKind regards,\nJane Holt\nHR Advisor"
)
DECLINED_NO_REASON = (
    "Dear Applicant,\n\nThank you for your application. Unfortunately you have not been shortlisted on this "
    "occasion. Due to the number of applications we cannot provide feedback.\n\nRecruitment Team"
)
OFFERED_CALL = (
    "Hi Tom,\n\nThanks for interviewing for the Junior Developer role at Kitebright. We have decided to go with a "
    "candidate who has more commercial experience. If you would like feedback, I'm happy to arrange a short call "
    "next week.\n\nBest,\nMaya Okafor"
)
OFFERED_WRITTEN = (
    "Dear Lena,\n\nThank you for attending the interview for the Marketing Assistant position. On this occasion "
    "we have offered the role to another candidate. If you would like feedback, please reply and I will send you "
    "some written notes.\n\nKind regards,\nOwen Price"
)
DOOR_OPEN = (
    "Dear Ravi,\n\nThank you for applying for the Data Analyst role at Hexam Analytics. We received a very high "
    "number of strong applications and have decided not to progress yours. We will keep your details on file and "
    "would encourage you to apply for future roles with us.\n\nKind regards,\nLucy Hart"
)
LOGISTICS_SALARY = (
    "Hi Sana,\n\nThank you for your time. Unfortunately your salary expectations are above the budget for the "
    "Account Manager role, so we will not be moving forward.\n\nBest,\nGeorge Lamb"
)
LOGISTICS_FILLED = (
    "Dear Kofi,\n\nThank you for applying for the Transport Planner vacancy at Corran Freight. The position has now "
    "been filled internally.\n\nKind regards,\nClaire Dunn"
)
LOGISTICS_LOCATION = (
    "Hi Jess,\n\nThanks for your interest in the Office Manager role at Fernhill Media. The role requires five days "
    "a week in our Leeds office, and as you are looking for remote work we will not be taking your application "
    "further.\n\nThanks,\nBen Cole"
)
PRAISE_ONLY = (
    "Dear Chloe,\n\nThank you for interviewing for the Teaching Assistant post at St Bede's Primary School. You "
    "were a very close second and we were really impressed by your experience and enthusiasm. We have appointed "
    "another candidate.\n\nWith best wishes,\nHelen Ward"
)
PRAISE_THEN_GAP = (
    "Hi Alex,\n\nThank you for interviewing for the Platform Engineer role at Pebblestone. We were impressed by "
    "your Terraform work, but we need someone with more hands-on Kubernetes experience.\n\nBest,\nPriya Nair"
)
PRAISED_SOFT = (
    "Dear Sam,\n\nThank you for interviewing with us. Your communication skills were excellent throughout the "
    "interview. Unfortunately we went with a candidate who has more years of experience in the sector.\n\n"
    "Kind regards,\nMartin Shaw"
)
SOFT_GAP = (
    "Dear Jordan,\n\nThank you for interviewing for the Team Leader role. The panel felt your leadership skills "
    "are not yet strong enough for a role managing eight people.\n\nKind regards,\nAnna Lindqvist"
)
QUALIFICATION = (
    "Dear Imogen,\n\nThank you for applying for the Management Accountant role. The role requires a CIMA "
    "qualification, which you do not yet hold, so we will not be progressing your application.\n\nRegards,\n"
    "Richard Hale"
)
LANGUAGE = (
    "Dear Carlos,\n\nThank you for your application for the Customer Support Specialist role. The role requires "
    "fluent German, which unfortunately you do not have.\n\nBest wishes,\nEmma Stone"
)
CV_SCREEN = (
    "Dear Farah,\n\nThank you for your application for the Graduate Analyst programme. Unfortunately your CV did "
    "not show enough evidence of the essential criteria, and we will not be inviting you to interview.\n\n"
    "Kind regards,\nGraduate Recruitment Team"
)
GENERIC = (
    "Dear Candidate,\n\nThank you for taking the time to apply. Unfortunately we will not be moving forward with "
    "your application at this time. We wish you every success in your job search.\n\nKind regards,\nHR"
)
TOOL_GAP = (
    "Hi Nadia,\n\nThanks for applying for the BI Developer role at Quillon. We have decided to move forward with a "
    "candidate whose SQL and Power BI skills more closely match what the team needs.\n\nCheers,\nDan Ross"
)
INTERVIEW_GAP = (
    "Dear Kieran,\n\nThank you for attending the interview for the Project Coordinator role. The panel felt your "
    "answers lacked specific examples and structure, so we will not be offering you the role.\n\nRegards,\nFiona McLeod"
)
AGENCY = (
    "Hi Jamie,\n\nI've heard back from my client and unfortunately they've decided to go with another candidate for "
    "the Senior Accountant role, someone with more audit experience.\n\nBest,\nTom Baker\nSenior Consultant | Hays"
)
TEAM_SENDER = (
    "Dear Morgan,\n\nThank you for applying to the Graduate Scheme. We received an extremely high number of "
    "applications and will not be taking yours further.\n\nKind regards,\nEarly Careers Team"
)
GIG = (
    "Hi Marta,\n\nUnfortunately the client has decided to hire another freelancer for this project.\n\nThe Upwork Team"
)
ALTERNATIVE = (
    "Dear Ben,\n\nThank you for applying for the Senior Data Scientist role at Hexam Analytics. We have decided to "
    "appoint a candidate with more experience leading a team. We would encourage you to apply for our Data "
    "Analyst role, which may be a closer match.\n\nKind regards,\nLucy"
)
PRAISED_TWO_SKILLS = (
    "Hi Ollie,\n\nThank you for interviewing for the Analyst role. Your Python and SQL were strong. However, we "
    "need experience with Airflow and dbt.\n\nBest,\nAmy"
)
FINAL_STAGE_OFFER = (
    "Dear Priyanka,\n\nThank you for attending the final interview for the Operations Analyst role at Kestrel "
    "Freight. It was an extremely strong field and we have offered the role to another candidate. If you would like more "
    "detailed feedback, I'm happy to arrange a quick chat.\n\nBest regards,\nRosa Jimenez"
)
CLOSE_SECOND_DECLINED = (
    "Dear Aaron,\n\nThank you for attending the final interview for the Store Manager role at Greyfield Outdoor. You "
    "were a very close second. Due to the number of candidates we are unable to provide individual feedback.\n\n"
    "Kind regards,\nTara Quinn"
)
UNNAMED_SKILL_GAP = (
    "Hi Devon,\n\nThank you for completing the coding test for the Backend Developer role. Unfortunately your "
    "technical skills were not at the level we need for this position.\n\nBest,\nSam Reid"
)


def say(text, **kw):
    return analyse(text, **kw).to_dict()


def message(text, **kw):
    return say(text, **kw)["follow_up"]


def action_text(d):
    return " ".join(" ".join([a["title"], *a["steps"]]) for a in d["actions"])


# ------------------------------------------------------------------ 1. the message follows what the email says
@pytest.mark.parametrize("text", [DECLINED, DECLINED_NO_REASON])
def test_feedback_declined_no_request_for_feedback(text):
    m = message(text).lower()
    assert "feedback would" not in m and "points that would make" not in m and "offering" not in m
    assert m.count("?") <= 1  # at most one narrow question


def test_declined_with_experience_asks_one_narrow_question():
    m = message(DECLINED)
    assert "cannot give individual feedback" in m and m.count("?") == 1
    assert "experience" in m.split("?")[0].split(".")[-1]


def test_feedback_offered_on_a_call_is_taken_up_with_two_times():
    m = message(OFFERED_CALL)
    assert "take you up on it" in m and "Tuesday at 10am" in m and "Thursday at 2pm" in m
    assert "what experience the successful candidate" not in m  # the call will cover it


def test_feedback_offered_in_writing_is_accepted_without_proposing_times():
    m = message(OFFERED_WRITTEN)
    assert "grateful to receive it" in m and "Tuesday" not in m


def test_final_stage_offer_of_a_chat_is_a_call():
    d = say(FINAL_STAGE_OFFER)
    assert "Tuesday at 10am" in d["follow_up"] and "interviewing me" in d["follow_up"]


def test_door_open_says_you_will_apply_again_and_asks_to_hear_of_similar_roles():
    m = message(DOOR_OPEN)
    assert "I will apply again" in m and "let me know when similar roles come up" in m


@pytest.mark.parametrize("text", [LOGISTICS_SALARY, LOGISTICS_FILLED, LOGISTICS_LOCATION])
def test_logistics_no_questions_about_the_successful_candidate(text):
    d = say(text)
    assert "logistics" in [r["reason"] for r in d["reasons"]]
    m = d["follow_up"]
    assert "successful candidate" not in m and "chosen candidate" not in m and "person you chose" not in m
    assert "should the role reopen or a similar position arise" in m


def test_experience_reason_asks_what_experience_the_successful_candidate_had():
    m = message(OFFERED_CALL.replace(" If you would like feedback, I'm happy to arrange a short call next week.", ""))
    assert "what experience the successful candidate brought" in m


def test_close_second_asks_about_experience_and_thanks_for_the_praise_in_one_line():
    m = message(PRAISE_ONLY)
    assert "what experience the successful candidate brought" in m
    assert m.count("I was glad to hear") == 1


def test_no_reason_asks_for_one_or_two_points():
    m = message(GENERIC)
    assert "one or two points" in m and "successful candidate" not in m


def test_named_gap_says_what_you_will_do():
    assert "building a small project with SQL and Power BI" in message(TOOL_GAP)
    assert "course and exam route to CIMA" in message(QUALIFICATION)
    assert "German course" in message(LANGUAGE)


@pytest.mark.parametrize("text", [DECLINED, OFFERED_CALL, DOOR_OPEN, LOGISTICS_FILLED, GENERIC, TOOL_GAP])
def test_the_heart_is_always_there_and_no_paragraph_opens_with_also(text):
    m = message(text)
    assert "I would be very interested" in m and "similar position arise" in m
    assert "similar vacancies elsewhere" in m
    assert not any(p.startswith(("It would also", "Also")) for p in m.split("\n\n"))


def test_linkedin_is_short_and_has_no_subject_and_warm_is_warmer():
    formal = message(OFFERED_CALL)
    short = message(OFFERED_CALL, channel="linkedin")
    warm = message(OFFERED_CALL, tone="warm")
    assert formal.startswith("Subject:") and not short.startswith("Subject:") and len(short) < 600
    assert "Tuesday at 10am" in short and "Dear Maya" in formal and warm.startswith("Subject:") and "Hi Maya" in warm


def test_a_bad_tone_or_channel_is_refused():
    with pytest.raises(ValueError, match="tone"):
        analyse(GENERIC, tone="rude")
    with pytest.raises(ValueError, match="channel"):
        analyse(GENERIC, channel="fax")


# ------------------------------------------------------------------ 2. names right or placeholders
def test_names_found_are_used():
    m = message(OFFERED_CALL)
    assert "Dear Maya," in m and "Junior Developer role at Kitebright" in m


@pytest.mark.parametrize(
    "text, wrong",
    [(TEAM_SENDER, ["at Early", "at Graduate", "Dear Early"]), (GIG, ["Upwork"]), (AGENCY, ["Hays"])],
)
def test_placeholders_not_wrong_names_and_a_warning(text, wrong):
    d = say(text)
    assert "[Company]" in d["follow_up"] and not any(w in d["follow_up"] + action_text(d) for w in wrong)
    assert any("[Company]" in w for w in d["warnings"])


def test_the_role_applied_for_not_the_alternative():
    m = message(ALTERNATIVE)
    assert "Senior Data Scientist role at Hexam Analytics" in m and "Data Analyst role" not in m


# ------------------------------------------------------------------ 3. actions fit the gap
def test_praise_is_never_homework():
    d = say(PRAISE_THEN_GAP)
    assert d["skills_praised"] == ["Terraform"] and d["skills_gaps"] == ["Kubernetes"]
    assert "Kubernetes" in action_text(d) and "Terraform" not in action_text(d)
    assert set(d["skills_mentioned"]) == {"Terraform", "Kubernetes"}


def test_praised_soft_skill_is_thanked_for_not_turned_into_a_course():
    d = say(PRAISED_SOFT)
    assert "communication" in d["skills_praised"] and "communication" not in d["skills_gaps"]
    assert "communication" not in action_text(d)
    assert "my communication came across well" in d["follow_up"]


def test_praised_skills_and_gap_skills_in_two_sentences():
    d = say(PRAISED_TWO_SKILLS)
    assert set(d["skills_praised"]) == {"Python", "SQL"} and set(d["skills_gaps"]) == {"Airflow", "dbt"}
    assert "Python" not in action_text(d) and "Airflow" in action_text(d)


def test_soft_skill_gap_gets_practice_and_feedback_not_github():
    d = say(SOFT_GAP)
    text = action_text(d)
    assert "leadership" in d["skills_gaps"] and "leadership" in text and "feedback" in text
    assert "GitHub" not in text and "course in leadership" not in text


def test_qualification_gap_gets_a_course_or_exam_route():
    text = action_text(say(QUALIFICATION))
    assert "route to CIMA" in text and "GitHub" not in text


def test_spoken_language_gap_gets_a_course_and_a_level():
    text = action_text(say(LANGUAGE))
    assert "German course with a level to reach" in text and "B2" in text


@pytest.mark.parametrize("text", [DECLINED, OFFERED_CALL, DOOR_OPEN, PRAISE_THEN_GAP, CV_SCREEN, FINAL_STAGE_OFFER])
def test_at_most_five_actions_no_repeats(text):
    d = say(text)
    assert 1 <= len(d["actions"]) <= 5
    assert len({a["title"] for a in d["actions"]}) == len(d["actions"])


def test_cv_screen_gets_no_mock_interview():
    d = say(CV_SCREEN)
    assert d["stage"] == "application" and "interview" not in [r["reason"] for r in d["reasons"]]
    assert "mock interview" not in action_text(d).lower()


def test_interview_reason_gets_interview_practice():
    assert "interview" in action_text(say(INTERVIEW_GAP)).lower()


def test_declined_feedback_is_not_an_action_to_ask_for_it():
    assert not any("feedback" in a["title"].lower() for a in say(DECLINED_NO_REASON)["actions"])


def test_offered_feedback_is_an_action_to_take_it_up():
    assert any(a["title"] == "Take up the offer of feedback" for a in say(OFFERED_CALL)["actions"])


# ------------------------------------------------------------------ templates are data, validated
def test_compose_without_names_uses_placeholders_and_warns():
    msg, warnings = compose(FollowUpFacts(reasons=["unspecified"]))
    assert "Dear [Name]," in msg and "[Company]" in msg and warnings


def test_invalid_templates_are_refused_with_the_location(tmp_path):
    path = tmp_path / "follow_up.toml"
    path.write_text('call_times = ["Monday"]\n[tones.formal]\ngreeting = "Dear {nobody}"\n')
    with pytest.raises(FollowUpError) as exc:
        load_templates(path)
    text = str(exc.value)
    assert "call_times" in text and "tones.formal: missing 'thanks'" in text and "unknown placeholder" in text


def test_readme_shows_the_message_the_example_gets():
    from pathlib import Path

    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text()
    shown = readme.split("the follow-up message is:\n\n```text\n", 1)[1].split("\n```", 1)[0]
    assert shown == analyse((root / "examples" / "rejection.txt").read_text()).follow_up


def test_close_second_with_feedback_declined_gets_the_one_narrow_question():
    m = message(CLOSE_SECOND_DECLINED)
    assert "cannot give individual feedback" in m and m.count("?") == 1
    assert "one or two points" not in m


def test_a_gap_with_no_skill_named_gets_no_skill_plan_and_no_skill_placeholders():
    d = say(UNNAMED_SKILL_GAP)
    assert d["skills_gaps"] == [] and "Taking on board" not in d["follow_up"]
    assert "{" not in action_text(d) and 1 <= len(d["actions"]) <= 5
