// Clicking a [n] marker opens source card n and brings its passage into view.
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
    const card = target.querySelector("details") || target.closest("details");
    if (card) card.open = true;
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

// The plain text of a chat message: an answer's hidden plain-text copy (render.plain_text:
// markers as shown, sources as a numbered list of titles and links), else the words shown.
function nqPlainText(row) {
  if (!row) return "";
  const plain = row.querySelector("pre.nq-plain");
  return (plain ? plain.textContent : row.innerText || "").trim();
}

function nqWriteClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  // A page served over plain http to another machine has no clipboard API.
  const area = document.createElement("textarea");
  area.value = text;
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  document.execCommand("copy");
  area.remove();
  return Promise.resolve();
}

// Gradio's copy button would copy the message's HTML; ours copies its plain text.
document.addEventListener(
  "click",
  (event) => {
    const button = event.target.closest && event.target.closest('#nq-chat button[aria-label="Copy message"]');
    if (!button) return;
    const buttons = button.closest(".message-buttons");
    const row = buttons && buttons.previousElementSibling;
    if (!row || !row.classList.contains("message-row")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    nqWriteClipboard(nqPlainText(row)).then(() => {
      button.classList.add("nq-copied");
      button.title = "Copied";
      setTimeout(() => {
        button.classList.remove("nq-copied");
        button.title = "Copy message";
      }, 1500);
    });
  },
  true,
);

// The conversation as a Markdown file: each question as a heading, each answer with its
// numbered sources, as the chat shows them.
window.nqExport = () => {
  const rows = document.querySelectorAll("#nq-chat .message-row");
  if (!rows.length) return;
  const parts = ["# newsqa conversation", ""];
  rows.forEach((row) => {
    const question = row.querySelector(".nq-question");
    if (question) parts.push("## " + question.innerText.trim(), "");
    else if (row.querySelector(".nq-answer:not(.nq-streaming)")) parts.push(nqPlainText(row), "");
  });
  const blob = new Blob([parts.join("\n")], { type: "text/markdown" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "newsqa-conversation-" + new Date().toISOString().slice(0, 10) + ".md";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
};

// "Translate into English" on a source card: the passage goes to the server through the hidden
// request box (NewsApp.translate), the reply comes back to nqShowTranslation below.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest && event.target.closest("a.nq-translate");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const card = link.closest("li.nq-source");
    const passage = card && card.querySelector("blockquote.nq-passage");
    const box = document.querySelector("#nq-translate-request textarea");
    const go = document.querySelector("#nq-translate-go");
    if (!passage || !box || !go) return;
    const [language, backend] = (card.querySelector(".nq-translate-for").textContent || "").split(" ");
    const text = passage.textContent.replace(/^…\s*|\s*…$/g, "").trim();
    card.querySelector("p.nq-translation").textContent = "Translating…";
    box.value = JSON.stringify({ card: card.id, language, backend, text });
    box.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(() => go.click(), 50); // after Gradio has taken the new value
  },
  true,
);

window.nqShowTranslation = (reply) => {
  let answer;
  try {
    answer = JSON.parse(reply);
  } catch (error) {
    return;
  }
  const card = answer.card && document.getElementById(answer.card);
  const target = card && card.querySelector("p.nq-translation");
  if (target) target.textContent = answer.text || answer.error || ""; // text, never HTML
};
