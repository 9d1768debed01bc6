// The site's calculators: forms rendered at build time (hooks/cookbook_page.py) come alive here.
// One module Worker per tab runs the cookbook wheel in Pyodide; it survives Material's instant navigation because
// this module is evaluated once per tab. Inputs live in the URL (?<block id>.<field>=value), so a result is a link.

const WORKER_URL = new URL("calc-worker.js", import.meta.url);
const DEBOUNCE_MS = 200;
let worker = null;
let engine = "loading"; // loading | ready | failed
let engineError = "";
let nextTicket = 0;
const pending = new Map(); // ticket -> callback
const readyWaiters = [];

function startWorker() {
  if (worker) return;
  worker = new Worker(WORKER_URL, { type: "module" });
  worker.onmessage = (e) => {
    const msg = e.data;
    if (msg.type === "ready") {
      engine = "ready";
      readyWaiters.splice(0).forEach((f) => f());
      document.querySelectorAll(".cookbook-calc").forEach((b) => markEngine(b));
    } else if (msg.type === "failed") {
      engine = "failed";
      engineError = msg.error;
      readyWaiters.splice(0).forEach((f) => f());
      document.querySelectorAll(".cookbook-calc").forEach((b) => markEngine(b));
    } else if (msg.type === "result") {
      const cb = pending.get(msg.ticket);
      pending.delete(msg.ticket);
      if (cb) cb(msg);
    }
  };
  worker.onerror = (e) => {
    engine = "failed";
    engineError = e.message || "the calculator worker could not start";
    readyWaiters.splice(0).forEach((f) => f());
    pending.forEach((cb) => cb({ ok: false, html: "", status: engineError, failed: true }));
    pending.clear();
    document.querySelectorAll(".cookbook-calc").forEach((b) => markEngine(b));
  };
}

function markEngine(block) {
  block.dataset.engine = engine;
  const note = block.querySelector(".cookbook-calc__engine");
  if (!note) return;
  if (engine === "ready") {
    note.textContent = "Live: Python (Pyodide) runs in this page, offline. Results update as you type.";
  } else if (engine === "failed") {
    note.textContent = `Live results unavailable (${engineError}); the result shown was computed when the site was built.`;
    block.dataset.state = "error";
  } else {
    note.textContent = "Loading Python in the background; the result shown was computed when the site was built.";
  }
}

function compute(name, inputs) {
  startWorker();
  return new Promise((resolve) => {
    const go = () => {
      if (engine === "failed") return resolve({ ok: false, html: "", status: engineError, failed: true });
      const ticket = ++nextTicket;
      pending.set(ticket, resolve);
      worker.postMessage({ type: "run", ticket, name, inputs: JSON.stringify(inputs) });
    };
    engine === "loading" ? readyWaiters.push(go) : go();
  });
}

// ---- form <-> inputs <-> URL ----

function formInputs(block) {
  const out = {};
  for (const el of block.querySelectorAll("input[name], select[name], textarea[name]")) {
    const v = el.value.trim();
    if (v !== "") out[el.name] = v;
  }
  return out;
}

function setForm(block, inputs) {
  for (const el of block.querySelectorAll("input[name], select[name], textarea[name]")) {
    el.value = inputs[el.name] ?? "";
    const details = el.closest("details");
    if (details && el.value !== "") details.open = true;
  }
}

function urlInputs(block) {
  const params = new URLSearchParams(location.search);
  const prefix = block.id + ".";
  let found = false;
  const out = {};
  for (const [k, v] of params) {
    if (!k.startsWith(prefix)) continue;
    found = true;
    if (v !== "") out[k.slice(prefix.length)] = v;
  }
  return found ? out : null;
}

function shareURL(block, inputs) {
  const params = new URLSearchParams(location.search);
  for (const k of [...params.keys()]) if (k.startsWith(block.id + ".")) params.delete(k);
  const entries = Object.entries(inputs);
  if (entries.length === 0) params.set(block.id + ".preset", ""); // "nothing set" differs from "page default"
  for (const [k, v] of entries) params.set(`${block.id}.${k}`, v);
  const url = new URL(location.href);
  url.search = params.toString();
  url.hash = block.id;
  return url;
}

// ---- one calculator block ----

async function recompute(block, { updateURL }) {
  const inputs = formInputs(block);
  const ticket = (block._ticket = (block._ticket || 0) + 1);
  block.dataset.state = "loading";
  block.setAttribute("aria-busy", "true");
  if (updateURL) {
    const url = shareURL(block, inputs);
    history.replaceState(history.state, "", url);
    block.querySelector(".cookbook-calc__link").href = url.href;
  }
  const res = await compute(block.dataset.calc, inputs);
  if (ticket !== block._ticket) return; // a newer input superseded this one
  block.removeAttribute("aria-busy");
  block.dataset.ticketDone = String(ticket); // the latest request has been answered (tests and benchmarks wait on it)
  if (res.failed) {
    block.dataset.state = "error";
    block.querySelector(".cookbook-calc__status").textContent =
      `Live results unavailable (${res.status}); the result shown was computed when the site was built.`;
    return;
  }
  const out = block.querySelector(".cookbook-calc__output");
  out.innerHTML = res.html;
  out.dataset.source = "live";
  block.dataset.ms = res.ms.toFixed(2); // Python time of this result, in the worker
  block.dataset.state = res.ok ? "ready" : "invalid";
  block.querySelector(".cookbook-calc__status").textContent = res.status;
}

function mount(block) {
  if (block._mounted) return;
  block._mounted = true;
  markEngine(block);
  const form = block.querySelector("form");
  let timer = 0;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => recompute(block, { updateURL: true }), DEBOUNCE_MS);
  };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(timer);
    recompute(block, { updateURL: true });
  });
  form.addEventListener("focusin", startWorker, { once: true });
  const fromURL = urlInputs(block);
  if (fromURL) {
    setForm(block, fromURL);
    startWorker();
    recompute(block, { updateURL: false });
    block.querySelector(".cookbook-calc__link").href = shareURL(block, fromURL).href;
  } else {
    block.querySelector(".cookbook-calc__link").href = shareURL(block, formInputs(block)).href;
    // start Python once a calculator is on screen, so the first edit is already live
    const io = new IntersectionObserver((entries) => {
      if (entries.some((en) => en.isIntersecting)) {
        io.disconnect();
        startWorker();
      }
    });
    io.observe(block);
  }
}

function mountAll() {
  document.querySelectorAll(".cookbook-calc").forEach(mount);
}

if (window.document$ && typeof window.document$.subscribe === "function") {
  window.document$.subscribe(mountAll); // Material instant navigation: runs for every page swap
} else {
  mountAll();
}
