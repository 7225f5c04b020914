import pytest

from analyser.extraction_eval import load_cases, measure
from analyser.mentions import find_company, find_contact, find_mentions, find_role


@pytest.mark.parametrize(
    "text, role, company",
    [
        (
            "Thank you for applying to the Junior Software Developer position at MSC Technology.",
            "Junior Software Developer",
            "MSC Technology",
        ),
        (
            "Thank you for taking the time to apply to the role of Software Engineer with VMware.",
            "Software Engineer",
            "VMware",
        ),
        (
            "Thank you for your application for the position of Head of Marketing at Bloom & Wild.",
            "Head of Marketing",
            "Bloom & Wild",
        ),
        ("Unfortunately we will not be moving forward at this time.", None, None),
    ],
)
def test_role_and_company(text, role, company):
    assert find_role(text) == role
    assert find_company(text) == company


def test_contact_is_the_person_who_signed_not_a_team():
    assert find_contact("Thanks again.\n\nKind regards,\nPriya Shah\nTalent Partner") == "Priya"
    assert find_contact("Best wishes,\nThe Recruitment Team") is None


@pytest.mark.parametrize(
    "text, company, role, contact",
    [
        # a team is not an employer ("working at Graduate", "a job alert for Early")
        ("Dear Sam,\n\nThank you for applying.\n\nKind regards,\nEarly Careers Team", None, None, None),
        (
            "Hi,\n\nThanks for applying to our Summer Internship.\n\nGraduate Recruitment Team",
            None,
            "Summer Internship",
            None,
        ),
        # a recruiter writing for a client: the client when named, never the agency
        (
            "Hi Jo,\n\nMy client has decided to go with another candidate.\n\nBest,\nTom Baker\nSenior Consultant | Hays",
            None,
            None,
            "Tom",
        ),
        (
            "Hi Mei,\n\nOur client, Ardent Pharma, has decided not to take your application forward.\n\nSarah\nPinnacle Search",
            "Ardent Pharma",
            None,
            None,
        ),
        # a gig platform is not the employer
        ("Hi Marta,\n\nThe client has hired another freelancer.\n\nThe Upwork Team", None, None, None),
        # the alternative vacancy is not the role applied for
        (
            "Dear Ben,\n\nThank you for applying for the Senior Data Scientist role at Hexam Analytics. We would "
            "encourage you to apply for our Data Analyst role.\n\nKind regards,\nLucy",
            "Hexam Analytics",
            "Senior Data Scientist",
            "Lucy",
        ),
        # software senders and initials give no name
        ("From: Workday <noreply@myworkday.com>\n\nDear Liam,\n\nThank you for your interest.", None, None, None),
        (
            "Dear Maria,\n\nYou were not successful.\n\nYours sincerely,\nJ. Whitfield\nPractice Manager",
            None,
            None,
            None,
        ),
    ],
)
def test_names_found_for_sure_or_not_at_all(text, company, role, contact):
    m = find_mentions(text)
    assert (m.company, m.role, m.contact) == (company, role, contact)


def test_two_different_employers_give_none_and_say_why():
    m = find_mentions(
        "Thank you for applying for the Analyst role at Acme. We chose a candidate for the post at Zenith."
    )
    assert m.company is None and any("more than one employer" in n for n in m.notes)


def test_written_extraction_set_precision_is_at_least_095():
    cases = load_cases()
    assert len(cases) >= 60
    for field, r in measure(cases).items():
        assert r["precision"] >= 0.95, (field, r["errors"])


def _scan_texts() -> list[str]:
    import csv

    from analyser.config import DATA_DIR

    with open(DATA_DIR / "demo" / "feedback.csv", newline="", encoding="utf-8") as fh:
        texts = [row["feedback"] for _, row in zip(range(400), csv.DictReader(fh))]
    return texts + [
        "Thank you for your interest in the ROLE AT Acme Ltd. The Hiring Team at Bramble Health reviewed it.",
        "Your APPLICATION TO Stackhouse, for the Position Of Data Analyst with Kiln Group: a role at Ferro.",
        "Rôle at Café Nord: the Kelvin \u212a job with Ord. Our Client, Harlow Foods, has decided. Subject: x",
        "The ROLE AT Ąbc: the Ro\u0130e, a \u017fcheme with Cove, internsh\u0131p at Dune, a \u212aey JOB WITH Eyre",
        "Thank you for applying to the role of Analyst with Ferro\nRe: Graduate Analyst\nReq 123 - Data Lead",
        "a role at A; the Big Programme at B; careers page at Cove; all of us at Dune; joining Eyre",
        "an Interesting Position: roles with Fenn, positions at Gale; interviewing for Hale. Ref 42: Isle Lead",
    ]


def test_scans_from_lead_words_give_finditers_matches():
    from analyser import mentions

    n = 0
    for text in _scan_texts():
        folded = mentions.fold(text)
        assert len(folded) == len(text)
        starts_of: dict = {}
        for pattern, _, scan in mentions._COMPANY_BODY + mentions._ROLE:
            expected = [m.span() for m in pattern.finditer(text)]
            assert [m.span() for m in mentions._matches(pattern, scan, text, folded, starts_of)] == expected
            n += len(expected)
    assert n > 300  # the comparison covers many matches


def test_alternative_spans_are_the_sentences_holding_a_cue():
    from analyser import mentions

    lists = mentions.load_lists()
    for text in _scan_texts():
        low = text.lower()
        expected = [(a, b) for a, b in mentions._sentences(text) if any(c in low[a:b] for c in lists.alternative_cues)]
        assert mentions._alternative_spans(text, low, lists) == expected


def test_folding_maps_every_character_a_case_insensitive_letter_matches():
    import re
    import string

    from analyser import mentions

    chars = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    for letter in string.ascii_lowercase:
        matching = set(re.findall(f"(?i){letter}", chars))
        assert {c for c in matching if mentions.fold(c) != letter} == set(), letter
