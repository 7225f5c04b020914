from analyser.text_cleaning import clean, eml_to_text, looks_like_html

FORWARDED = """FYI, see below - gutted!

---------- Forwarded message ---------
From: Talent Team <talent@acme.com>
Date: Mon, 2 Mar 2026 at 09:00
Subject: Your application
To: Sam Lee <sam@example.com>

Dear Sam,

Thank you for interviewing with us. We have decided to go with a candidate with more experience in B2B sales.

Kind regards,
Jane Smith
Talent Partner | Acme Ltd
+44 20 7946 0000

This email and any attachments are confidential and intended solely for the addressee. If you have received it in
error please notify the sender.
"""


def test_forwarded_message_keeps_feedback_and_drops_headers_signature_and_disclaimer():
    text = clean(FORWARDED).text
    assert "more experience in B2B sales" in text
    for gone in ("From:", "Subject:", "talent@acme.com", "+44 20", "confidential", "Forwarded message"):
        assert gone not in text


def test_quoted_earlier_message_is_not_feedback():
    reply = (
        "Hi Sam, thanks for your note. We chose a candidate with a stronger background in retail banking, "
        "but we would be glad to see you apply again.\n\n"
        "On Tue, 3 Mar 2026 at 10:14, Sam Lee <sam@example.com> wrote:\n"
        "> Could you tell me why my SQL was not good enough?\n> Thanks\n"
    )
    text = clean(reply).text
    assert "retail banking" in text
    assert "SQL" not in text


def test_html_is_converted_to_text():
    html = "<html><body><p>Dear Sam,</p><p>We went with someone with more &amp; deeper SQL.</p></body></html>"
    assert looks_like_html(html)
    text = clean(html).text
    assert "<p>" not in text and "more & deeper SQL" in text


def test_overlong_text_is_cut_with_a_warning():
    result = clean("We went with someone else. " * 10, max_chars=50)
    assert len(result.text) == 50
    assert result.warnings and "50" in result.warnings[0]


def test_eml_uses_the_plain_text_part():
    raw = (
        b"From: hr@example.com\r\nTo: sam@example.com\r\nSubject: Your application\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Dear Sam, the position has been filled internally.\r\n"
    )
    assert "filled internally" in eml_to_text(raw)


def test_a_candidates_reply_over_the_quoted_decision_keeps_the_decision():
    thread = (
        "Hi Monique,\n\nThanks so much for letting me know, and for explaining. I understand completely and would love "
        "to stay in touch.\n\nKendra\n\n"
        "On Thu, Mar 12, 2026 at 2:48 PM Monique Harris <mh@example.org> wrote:\n"
        "> Hi Kendra,\n>\n> We've had to make the difficult decision to move forward with another candidate, because the role "
        "needs to be on-site five days a week.\n>\n> All the best,\n> Monique\n"
    )
    text = clean(thread).text
    assert "on-site five days a week" in text
    assert "mh@example.org" not in text
