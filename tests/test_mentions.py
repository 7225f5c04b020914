import pytest

from analyser.mentions import find_company, find_contact, find_role


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
