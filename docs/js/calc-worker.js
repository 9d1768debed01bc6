// Module Worker: CPython 3.14 (Pyodide, self-hosted under ../pyodide/) with the cookbook and cookbook_page wheels,
// installed from a one-purpose lock file whose sha256 the browser checks (SRI). No micropip, no network beyond
// this site. Messages in: {type:"run", ticket, name, inputs(JSON)}; out: ready | failed | result.
import { loadPyodide } from "../pyodide/pyodide.mjs";

const BASE = new URL("../pyodide/", import.meta.url);
let live = null;

async function boot() {
  // the lock is revalidated on every start (it is tiny); the wheels it names live under content-addressed paths
  const lockResponse = await fetch(new URL("pyodide-lock.json", BASE), { cache: "no-cache" });
  if (!lockResponse.ok) throw new Error(`pyodide-lock.json: HTTP ${lockResponse.status}`);
  const lock = await lockResponse.text();
  const py = await loadPyodide({
    indexURL: BASE.href,
    lockFileContents: lock,
    packageBaseUrl: BASE.href,
    packages: ["cookbook", "cookbook-page"],
  });
  // loadPyodide only logs a package that failed to load; importing proves both wheels are installed
  const page = py.pyimport("cookbook_page");
  live = page.live;
  const version = py.runPython("import sys; sys.version.split()[0]");
  return version;
}

const booted = boot().then(
  (version) => postMessage({ type: "ready", python: version }),
  (err) => postMessage({ type: "failed", error: String((err && err.message) || err).split("\n").slice(-2).join(" ") }),
);

onmessage = async (e) => {
  const msg = e.data;
  if (msg.type !== "run") return;
  await booted;
  if (!live) return;
  const t0 = performance.now();
  const out = JSON.parse(live(msg.name, msg.inputs));
  postMessage({ type: "result", ticket: msg.ticket, ms: performance.now() - t0, ...out });
};
