// Progressive enhancement only: every control works without this script.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field.matches && field.matches("select[data-autosubmit]")) field.form.submit();
});
// On phones the filter panel starts folded so the results come first.
if (window.matchMedia("(max-width: 900px)").matches) {
  document.querySelectorAll("details.facets").forEach((d) => d.removeAttribute("open"));
}
// Slow lake charts arrive as fragments after the page; the link inside stays for browsers without JS.
document.querySelectorAll(".lazy[data-src]").forEach(async (box) => {
  try {
    const answer = await fetch(box.dataset.src, {credentials: "same-origin"});
    if (answer.ok) box.innerHTML = await answer.text();
  } finally {
    box.setAttribute("aria-busy", "false");
  }
});
// A table box that scrolls sideways (a phone) takes the keyboard focus, so it can be scrolled without a mouse.
document.querySelectorAll(".scroll").forEach((box) => {
  if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
});
