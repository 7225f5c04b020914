import pytest

from analyser.actions import CatalogueError, choose_actions, draft_follow_up, load_catalogue
from analyser.taxonomy import load_taxonomy

VALID_FOLLOW_UP = """
[follow_up]
greeting_fallback = "Dear hiring team,"
thanks_fallback = "Thank you for letting me know."
ask_feedback = "Could you share one thing to improve?"
ask_successful_candidate = "What did the successful candidate bring?"
keep_in_mind = "Please keep me in mind."
ask_vacancies = "Do you know of similar vacancies?"
sign_off = "Kind regards"
"""


def _catalogue(tmp_path, body: str):
    path = tmp_path / "actions.toml"
    path.write_text(body)
    load_catalogue.cache_clear()
    return load_catalogue(path)


def _all_reasons_generic() -> str:
    reasons = list(load_taxonomy().reason_names) + ["door_open"]
    return "".join(
        f'[[actions]]\nreason = "{r}"\ntitle = "Do a thing about {r}"\nsteps = ["Step one"]\n\n' for r in reasons
    )


def test_shipped_catalogue_is_valid_and_covers_every_reason():
    cat = load_catalogue()
    for reason in load_taxonomy().reason_names:
        assert sum(a.reason == reason for a in cat.actions) >= 3, reason


def test_a_minimal_custom_catalogue_loads(tmp_path):
    cat = _catalogue(tmp_path, _all_reasons_generic() + VALID_FOLLOW_UP)
    assert len(cat.actions) == len(load_taxonomy().reason_names) + 1


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[[actions]]\nreason = "vibes"\ntitle = "x"\nsteps = ["y"]\n', "unknown reason 'vibes'"),
        ('[[actions]]\nreason = "skills"\ntitle = "Learn {skill}"\nsteps = ["y"]\n', "does not list them"),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = []\n', "non-empty list"),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\ncolour = "red"\n', "unknown key 'colour'"),
        ('[[actions]]\nreason = "skills"\ntitle = "Learn {tool}"\nsteps = ["y"]\n', "unknown placeholder"),
    ],
)
def test_invalid_catalogue_is_refused_with_the_location(tmp_path, extra, message):
    with pytest.raises(CatalogueError) as exc:
        _catalogue(tmp_path, _all_reasons_generic() + extra + VALID_FOLLOW_UP)
    assert message in str(exc.value) and "actions[" in str(exc.value)


def test_missing_reason_and_follow_up_keys_are_reported(tmp_path):
    with pytest.raises(CatalogueError) as exc:
        _catalogue(tmp_path, '[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\n')
    text = str(exc.value)
    assert "reason 'experience' needs at least one action" in text and "follow_up: missing 'ask_feedback'" in text


def test_not_toml_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogueError, match="not valid TOML"):
        _catalogue(tmp_path, "this is = = not toml")


def test_actions_are_filled_in_with_the_skills_named():
    load_catalogue.cache_clear()
    actions = choose_actions(load_catalogue(), ["skills"], False, skills=["SQL", "Python"], role=None, company=None)
    assert actions and all(a["reason"] == "skills" for a in actions)
    assert "SQL" in actions[0]["title"] + " ".join(actions[0]["steps"])
    assert all("{" not in a["title"] for a in actions)


def test_actions_without_skills_never_show_placeholders():
    actions = choose_actions(load_catalogue(), ["skills", "unspecified"], True, skills=[], role=None, company=None)
    assert {a["reason"] for a in actions} == {"skills", "unspecified", "door_open"}
    assert not any("{" in a["title"] or any("{" in s for s in a["steps"]) for a in actions)


def test_follow_up_names_role_and_company_and_asks_the_four_questions():
    text = draft_follow_up(
        load_catalogue(), reasons=["unspecified"], role="Data Analyst", company="Acme", contact="Jane"
    )
    assert "Data Analyst" in text and "Acme" in text and "Dear Jane" in text
    lowered = text.lower()
    assert "feedback" in lowered or "improve" in lowered
    assert "successful candidate" in lowered
    assert "similar role" in lowered and "vacancies" in lowered
    fallback = draft_follow_up(load_catalogue(), reasons=["skills"], role=None, company=None)
    assert "{" not in fallback and "Dear hiring team" in fallback
