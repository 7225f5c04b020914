// Copy the follow-up message, and poll a spreadsheet job's progress. No other script runs on these pages.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const box = document.getElementById(button.dataset.copy);
      const status = button.parentElement.querySelector(".copied");
      try {
        await navigator.clipboard.writeText(box.value);
      } catch (e) {
        box.select();
        document.execCommand("copy");
      }
      if (status) status.textContent = "Copied.";
    });
  }
  const progress = document.getElementById("progress");
  if (progress) {
    const bar = document.getElementById("progress-bar");
    const poll = async () => {
      const r = await fetch(`/api/jobs/${progress.dataset.job}`);
      const s = await r.json();
      if (s.state === "done" || s.state === "failed" || r.status !== 200) {
        window.location.reload();
        return;
      }
      progress.textContent = `${s.done.toLocaleString()}${s.total ? " of " + s.total.toLocaleString() : ""} rows done.`;
      if (s.total) {
        bar.max = s.total;
        bar.value = s.done;
      }
      setTimeout(poll, 700);
    };
    setTimeout(poll, 500);
  }
});
