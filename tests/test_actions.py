import pytest

from analyser.actions import CatalogueError, choose_actions, load_catalogue
from analyser.taxonomy import load_taxonomy


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
    cat = _catalogue(tmp_path, _all_reasons_generic())
    assert len(cat.actions) == len(load_taxonomy().reason_names) + 1


def test_a_follow_up_section_is_refused_with_where_it_moved(tmp_path):
    with pytest.raises(CatalogueError, match="data/follow_up.toml"):
        _catalogue(tmp_path, _all_reasons_generic() + '[follow_up]\nsign_off = "x"\n')


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[[actions]]\nreason = "vibes"\ntitle = "x"\nsteps = ["y"]\n', "unknown reason 'vibes'"),
        ('[[actions]]\nreason = "skills"\ntitle = "Learn {skill}"\nsteps = ["y"]\n', "does not list them"),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = []\n', "non-empty list"),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\ncolour = "red"\n', "unknown key 'colour'"),
        ('[[actions]]\nreason = "skills"\ntitle = "Learn {tool}"\nsteps = ["y"]\n', "unknown placeholder"),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\nkinds = ["tool"]\n', "add \"skills\" to 'needs'"),
        (
            '[[actions]]\nreason = "skills"\ntitle = "x {skills}"\nneeds = ["skills"]\nsteps = ["y"]\nkinds = ["vibe"]\n',
            "'kinds' must",
        ),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\nstages = ["lunch"]\n', "'stages' must"),
        ('[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\nunless = ["rain"]\n', "'unless' must"),
    ],
)
def test_invalid_catalogue_is_refused_with_the_location(tmp_path, extra, message):
    with pytest.raises(CatalogueError) as exc:
        _catalogue(tmp_path, _all_reasons_generic() + extra)
    assert message in str(exc.value) and "actions[" in str(exc.value)


def test_missing_reason_and_follow_up_keys_are_reported(tmp_path):
    with pytest.raises(CatalogueError) as exc:
        _catalogue(tmp_path, '[[actions]]\nreason = "skills"\ntitle = "x"\nsteps = ["y"]\n')
    assert "reason 'experience' needs at least one action" in str(exc.value)


def test_not_toml_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogueError, match="not valid TOML"):
        _catalogue(tmp_path, "this is = = not toml")


def test_actions_are_filled_in_with_the_skill_gaps_named():
    load_catalogue.cache_clear()
    actions = choose_actions(load_catalogue(), ["skills"], gaps={"SQL": "tool", "Python": "tool"})
    assert actions and all(a["reason"] == "skills" for a in actions)
    assert "SQL" in actions[0]["title"] + " ".join(actions[0]["steps"])
    assert all("{" not in a["title"] for a in actions)


def test_actions_without_skills_never_show_placeholders():
    actions = choose_actions(load_catalogue(), ["skills", "unspecified"], signals={"door_open": True})
    assert {a["reason"] for a in actions} == {"skills", "unspecified", "door_open"}
    assert not any("{" in a["title"] or any("{" in s for s in a["steps"]) for a in actions)


@pytest.mark.parametrize(
    "kind, skill, expected, not_expected",
    [
        ("tool", "Kubernetes", "project", "course"),
        ("soft_skill", "leadership", "feedback", "GitHub"),
        ("qualification", "CIMA", "exam", "project"),
        ("spoken_language", "German", "level", "project"),
        ("domain", "financial modelling", "course", "GitHub"),
    ],
)
def test_each_kind_of_skill_gets_its_own_wording(kind, skill, expected, not_expected):
    actions = choose_actions(load_catalogue(), ["skills"], gaps={skill: kind})
    first = actions[0]
    text = " ".join([first["title"], *first["steps"]])
    assert skill in first["title"] and expected in text.lower()
    assert not any(not_expected in " ".join([a["title"], *a["steps"]]) for a in actions if skill in a["title"])


def test_at_most_five_ranked_by_reason_deduplicated():
    reasons = ["experience", "skills", "interview", "fit", "competition", "logistics"]
    actions = choose_actions(
        load_catalogue(),
        reasons,
        signals={"door_open": True, "feedback_offered": True},
        gaps={"Kubernetes": "tool"},
        role="Data Analyst",
        company="Acme",
        stage="interview",
    )
    assert len(actions) == 5
    order = [reasons.index(a["reason"]) for a in actions if a["reason"] in reasons]
    assert order == sorted(order) and order[0] == 0
    assert len({a["title"] for a in actions}) == len(actions)
    assert sum("Kubernetes" in a["title"] for a in actions) == 1  # one reason's advice per skill


def test_stage_and_signals_filter_actions():
    cat = load_catalogue()
    screen = choose_actions(cat, ["unspecified"], stage="application")
    assert not any("mock interview" in " ".join(a["steps"]) for a in screen)
    declined = choose_actions(cat, ["unspecified"], signals={"feedback_declined": True})
    assert not any("feedback" in a["title"].lower() for a in declined)


def test_a_named_skill_gap_gets_its_advice_when_another_reason_carried_it():
    actions = choose_actions(load_catalogue(), ["experience"], gaps={"leadership": "soft_skill"})
    text = " ".join(a["title"] + " " + " ".join(a["steps"]) for a in actions)
    assert "leadership" in text
    assert actions[0]["reason"] == "experience"  # the model's reason still comes first
    assert not any("leadership" in a["title"] for a in choose_actions(load_catalogue(), ["experience"]))
