// Math: pymdownx.arithmatex (generic mode) leaves \( \) and \[ \] in .arithmatex elements; KaTeX, self-hosted
// under ../vendor/katex/ (npm, pinned in web/package-lock.json), renders them. Loaded only on pages with math.
const KATEX = new URL("../vendor/katex/", import.meta.url);
let loading = null;

function script(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

function loadKatex() {
  if (!loading) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("katex.min.css", KATEX).href;
    document.head.appendChild(css);
    loading = script(new URL("katex.min.js", KATEX).href).then(() =>
      script(new URL("contrib/auto-render.min.js", KATEX).href));
  }
  return loading;
}

async function render() {
  const targets = document.querySelectorAll(".arithmatex, .jp-RenderedMarkdown");
  if (targets.length === 0) return;
  await loadKatex();
  for (const el of targets) {
    window.renderMathInElement(el, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
      ],
      throwOnError: false,
    });
  }
}

if (window.document$ && typeof window.document$.subscribe === "function") {
  window.document$.subscribe(() => render());
} else {
  render();
}
