"""The people's view of one analysis, drawn with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .analysis import Analysis
from .taxonomy import load_taxonomy

REASON_STYLES = {
    "experience": "bold magenta",
    "skills": "bold cyan",
    "fit": "bold yellow",
    "interview": "bold blue",
    "application": "bold bright_magenta",
    "competition": "bold bright_red",
    "logistics": "bold bright_black",
    "unspecified": "bold white",
}
BAR_WIDTH = 20


def _bar(score: float) -> Text:
    filled = round(score * BAR_WIDTH)
    return Text("█" * filled + "░" * (BAR_WIDTH - filled), style="green" if score >= 0.5 else "dim")


def render_analysis(result: Analysis, console: Console) -> None:
    tax = load_taxonomy()
    reasons = Table(title="Why: the reasons given", title_justify="left", expand=True, show_lines=True)
    reasons.add_column("Reason", no_wrap=True)
    reasons.add_column("Score", no_wrap=True)
    reasons.add_column("Evidence (from the text)")
    for r in result.reasons:
        style = REASON_STYLES.get(r["reason"], "bold")
        evidence = Text("\n").join(Text(f"“{s}”", style=style.replace("bold ", "")) for s in r["evidence"])
        if r["reason"] == tax.none_reason:
            evidence = Text(
                "The text gives no reason for the decision. Asking for feedback is the next step.", style="italic"
            )
        reasons.add_row(
            Text(tax.label(r["reason"]), style=style), Group(_bar(r["score"]), Text(f"{r['score']:.2f}")), evidence
        )
    console.print(reasons)

    if result.strengths:
        liked = Table(title="What they liked", title_justify="left", expand=True, show_header=False)
        liked.add_column("Aspect", style="green", no_wrap=True)
        liked.add_column("Sentence")
        for s in result.strengths:
            liked.add_row(s["aspect"], Text(f"“{s['text']}”"))  # Text: the feedback's words are not rich markup
        console.print(liked)

    signals = Table(title="What it signals", title_justify="left", show_header=False)
    signals.add_column("Signal")
    signals.add_column("Value")
    names = {
        "door_open": "Door open for future roles",
        "feedback_offered": "Feedback offered",
        "feedback_declined": "Feedback declined",
    }
    for key, label in names.items():
        on = result.signals.get(key, False)
        signals.add_row(label, Text("yes", style="bold green") if on else Text("no", style="dim"))
    signals.add_row("Stage reached", Text(result.stage))
    if result.skills_gaps:
        signals.add_row("Skills they want more of", Text(", ".join(result.skills_gaps)))
    if result.skills_praised:
        signals.add_row("Skills they praised", Text(", ".join(result.skills_praised)))
    console.print(signals)

    if result.actions:
        steps = []
        for n, action in enumerate(result.actions, 1):
            steps.append(Text(f"{n}. {action['title']}", style="bold"))
            steps.extend(Text(f"   • {step}") for step in action["steps"])
        console.print(Panel(Group(*steps), title="What to do next", title_align="left"))
    console.print(
        Panel(
            Text(result.follow_up), title="Follow-up message (ready to send)", title_align="left", border_style="cyan"
        )
    )
    for w in result.warnings:
        console.print(Text("warning: ", style="yellow") + Text(w))
