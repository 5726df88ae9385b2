// A citation marker [n] in an answer opens its source card in the side panel,
// scrolls it into view and marks it, instead of following the link.
(() => {
  const active = "rag-active";

  function reveal(id) {
    const card = document.getElementById(id);
    if (!card) return;
    card.open = true;
    for (const other of document.querySelectorAll(".rag-source." + active)) {
      other.classList.remove(active);
    }
    card.classList.add(active);
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  // Capture phase: the chat component handles link clicks itself (new tab).
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.rag-cite") : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    reveal((link.getAttribute("href") || "").replace(/^#/, ""));
  }, true);
})();
