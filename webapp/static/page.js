// Clicking a [n] marker opens the answer's sources panel and brings passage n into view.
// Gradio strips data-* attributes from chat messages, so the marker's href names the target id.
document.addEventListener(
  "click",
  (event) => {
    const marker = event.target.closest && event.target.closest("a.nq-cite");
    if (!marker) return;
    event.preventDefault();
    event.stopPropagation();
    const id = (marker.getAttribute("href") || "").slice(1);
    const target = id && document.getElementById(id);
    if (!target) return;
    const panel = target.closest("details");
    if (panel) panel.open = true;
    target.scrollIntoView({ behavior: "smooth", block: "center" });
    target.classList.remove("nq-flash");
    void target.offsetWidth; // restart the animation on a second click
    target.classList.add("nq-flash");
  },
  true,
);

// On a phone the side panel would cover the whole chat: start with it closed there.
(() => {
  if (!window.matchMedia("(max-width: 700px)").matches) return;
  let tries = 0;
  const timer = setInterval(() => {
    const side = document.getElementById("nq-side");
    const toggle = side && side.querySelector(".toggle-button");
    if (side && toggle && side.classList.contains("open")) {
      toggle.click();
      clearInterval(timer);
    } else if (++tries > 100) {
      clearInterval(timer);
    }
  }, 100);
})();
