// rede playground: sends settings to the Rust process and draws the frames it
// streams. All training happens in the server; this file only draws.
"use strict";

const $ = (id) => document.getElementById(id);
const FEATURES = [["x1", "x₁"], ["x2", "x₂"], ["x1_sq", "x₁²"], ["x2_sq", "x₂²"], ["x1_x2", "x₁x₂"], ["sin_x1", "sin x₁"], ["sin_x2", "sin x₂"]];
const ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "gelu"];
const CLASS_COLOURS = [[245, 147, 34], [8, 119, 189], [60, 160, 70], [200, 50, 120], [120, 80, 200], [150, 110, 40], [0, 160, 160], [230, 200, 20], [90, 90, 90], [240, 90, 80]];
const ORANGE = [245, 147, 34], BLUE = [8, 119, 189];

const S = { session: null, state: null, frame: null, events: null };

// --- talking to the server ------------------------------------------------

async function api(path, options = {}) {
  const response = await fetch(`${path}?session=${S.session}`, options);
  const type = response.headers.get("Content-Type") || "";
  const body = type.startsWith("application/json") ? await response.json() : await response.blob();
  if (!response.ok) throw new Error(body.error || `${path}: HTTP ${response.status}`);
  return body;
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }

async function run(action) {
  try { showError(null); await action(); } catch (e) { showError(e); }
}

async function start() {
  const response = await fetch("/api/session", { method: "POST" });
  const body = await response.json();
  S.session = body.session;
  applyState(body.state);
  drawFrame(body.frame);
  listen();
}

function listen() {
  S.events = new EventSource(`/api/events?session=${S.session}`);
  S.events.onmessage = (e) => drawFrame(JSON.parse(e.data));
}

async function sendConfig(change) {
  const config = Object.assign({}, S.state.config, change);
  await run(async () => {
    const body = await api("/api/config", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(config) });
    applyState(body.state);
    drawFrame(body.frame);
  });
  // A refused change puts the controls back to what the server holds.
  fillControls(S.state.config);
}

// --- controls --------------------------------------------------------------

function applyState(state) {
  S.state = state;
  $("upload-option").disabled = !state.has_upload;
  fillControls(state.config);
}

function fillControls(c) {
  $("dataset").value = c.dataset;
  $("noise").value = c.noise; $("noise-value").textContent = c.noise;
  $("split").value = c.test_fraction; $("split-value").textContent = c.test_fraction;
  $("seed").value = c.seed;
  $("optimizer").value = c.optimizer;
  $("lr").value = c.learning_rate;
  $("schedule").value = c.schedule;
  $("batch").value = c.batch_size;
  $("l1").value = c.l1; $("l2").value = c.l2; $("dropout").value = c.dropout;
  const features = $("features");
  features.replaceChildren(...FEATURES.map(([name, label]) => {
    const box = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox"; input.id = `feature-${name}`; input.checked = c.features.includes(name);
    input.onchange = () => sendConfig({ features: FEATURES.map((f) => f[0]).filter((f) => $(`feature-${f}`).checked) });
    box.append(input, ` ${label}`);
    return box;
  }));
  $("layers").replaceChildren(...c.layers.map((layer, i) => layerControl(c, layer, i)));
}

function layerControl(c, layer, i) {
  const box = document.createElement("div");
  box.className = "layer";
  const units = document.createElement("span");
  units.textContent = `${layer.units} units`;
  const more = button("+", () => setLayer(c, i, { units: layer.units + 1 }));
  const fewer = button("−", () => setLayer(c, i, { units: layer.units - 1 }));
  more.className = "units-more"; fewer.className = "units-fewer";
  const act = document.createElement("select");
  act.className = "activation";
  act.append(...ACTIVATIONS.map((a) => new Option(a, a)));
  act.value = layer.activation;
  act.onchange = () => setLayer(c, i, { activation: act.value });
  const row = document.createElement("div");
  row.append(fewer, " ", units, " ", more);
  box.append(row, act);
  return box;
}

function button(text, onclick) {
  const b = document.createElement("button");
  b.textContent = text; b.onclick = onclick;
  return b;
}

function setLayer(c, i, change) {
  const layers = c.layers.map((l, j) => (j === i ? Object.assign({}, l, change) : l));
  sendConfig({ layers });
}

function numberFrom(id) { return Number($(id).value); }

function wireControls() {
  $("dataset").onchange = () => sendConfig({ dataset: $("dataset").value });
  $("noise").onchange = () => sendConfig({ noise: numberFrom("noise") });
  $("split").onchange = () => sendConfig({ test_fraction: numberFrom("split") });
  $("seed").onchange = () => sendConfig({ seed: numberFrom("seed") });
  $("optimizer").onchange = () => sendConfig({ optimizer: $("optimizer").value });
  $("lr").onchange = () => sendConfig({ learning_rate: numberFrom("lr") });
  $("schedule").onchange = () => sendConfig({ schedule: $("schedule").value });
  $("batch").onchange = () => sendConfig({ batch_size: numberFrom("batch") });
  $("l1").onchange = () => sendConfig({ l1: numberFrom("l1") });
  $("l2").onchange = () => sendConfig({ l2: numberFrom("l2") });
  $("dropout").onchange = () => sendConfig({ dropout: numberFrom("dropout") });
  $("add-layer").onclick = () => {
    const layers = S.state.config.layers;
    const last = layers[layers.length - 1] || { units: 4, activation: "tanh" };
    sendConfig({ layers: layers.concat([{ units: last.units, activation: last.activation }]) });
  };
  $("remove-layer").onclick = () => sendConfig({ layers: S.state.config.layers.slice(0, -1) });
  $("play").onclick = () => run(async () => drawFrame(await api(S.frame && S.frame.running ? "/api/pause" : "/api/play", { method: "POST" })));
  $("step").onclick = () => run(async () => drawFrame(await api("/api/step", { method: "POST" })));
  $("reset").onclick = () => run(async () => {
    const body = await api("/api/reset", { method: "POST" });
    applyState(body.state); drawFrame(body.frame);
  });
  $("upload").onchange = () => run(async () => {
    const file = $("upload").files[0];
    if (!file) return;
    if (file.size > 10 * 1024 * 1024) throw new Error("the file is over the 10 MB limit");
    const body = await api("/api/upload", { method: "POST", headers: { "Content-Type": "text/csv" }, body: await file.text() });
    applyState(body.state); drawFrame(body.frame);
  });
  $("export-model").onclick = () => run(async () => download(await api("/api/model"), `playground-${S.state.config.dataset}.safetensors`));
  $("export-loss").onclick = () => {
    const link = document.createElement("a");
    link.href = $("loss").toDataURL("image/png"); link.download = "loss.png"; link.click();
  };
  $("one-step").onclick = () => run(showGraph);
}

function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob); link.download = name; link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// --- drawing ---------------------------------------------------------------

function drawFrame(frame) {
  S.frame = frame;
  $("epoch").textContent = frame.epoch;
  $("lr-now").textContent = Number(frame.lr).toPrecision(3);
  $("play").textContent = frame.running ? "❚❚ pause" : "▶ play";
  $("train-loss").textContent = frame.train_loss == null ? "–" : frame.train_loss.toFixed(3);
  $("test-loss").textContent = frame.test_loss == null ? "–" : frame.test_loss.toFixed(3);
  if (frame.error) showError(frame.error);
  drawOutput(frame);
  drawLoss(frame.history);
  drawNetwork(frame);
}

// Plane coordinates to canvas pixels.
function planeTransform(canvas, b) {
  return { x: (v) => ((v - b[0]) / (b[1] - b[0])) * canvas.width, y: (v) => ((b[3] - v) / (b[3] - b[2])) * canvas.height };
}

function mix(a, b, t) { return a.map((v, i) => Math.round(v + (b[i] - v) * t)); }

// A colour for a value in −1..1: orange below zero, blue above, white at zero.
function diverging(v) { return v < 0 ? mix([255, 255, 255], ORANGE, Math.min(1, -v)) : mix([255, 255, 255], BLUE, Math.min(1, v)); }

function drawOutput(frame) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (S.state.task.kind === "regression") return drawCurve(ctx, canvas, frame.output);
  const out = frame.output;
  if (out) {
    const side = out.side, image = new ImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      // Pale where the network is unsure, saturated where it is sure.
      const certainty = Math.max(0, (out.confidence[i] - 0.5) * 2);
      const rgb = mix([255, 255, 255], CLASS_COLOURS[out.class[i] % CLASS_COLOURS.length], 0.15 + 0.6 * certainty);
      image.data.set([...rgb, 255], i * 4);
    }
    const small = document.createElement("canvas");
    small.width = side; small.height = side;
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }
  const t = planeTransform(canvas, S.state.bounds);
  drawPoints(ctx, S.state.train, t, "#fff");
  drawPoints(ctx, S.state.test, t, "#000");
}

function drawPoints(ctx, points, t, stroke) {
  ctx.lineWidth = 1; ctx.strokeStyle = stroke;
  points.xy.forEach(([x, y], i) => {
    const c = CLASS_COLOURS[points.label[i] % CLASS_COLOURS.length];
    ctx.fillStyle = `rgb(${c})`;
    ctx.beginPath(); ctx.arc(t.x(x), t.y(y), 3, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  });
}

function drawCurve(ctx, canvas, out) {
  const all = S.state.train.label.concat(S.state.test.label);
  const lo = Math.min(...all) - 0.2, hi = Math.max(...all) + 0.2;
  const b = S.state.bounds, t = planeTransform(canvas, [b[0], b[1], lo, hi]);
  const dots = (points, colour) => {
    ctx.fillStyle = colour;
    points.xy.forEach(([x], i) => { ctx.beginPath(); ctx.arc(t.x(x), t.y(points.label[i]), 2.5, 0, 2 * Math.PI); ctx.fill(); });
  };
  dots(S.state.train, "rgb(120,120,120)");
  dots(S.state.test, `rgb(${ORANGE})`);
  if (!out) return;
  ctx.strokeStyle = `rgb(${BLUE})`; ctx.lineWidth = 2.5; ctx.beginPath();
  out.x.forEach((x, i) => (i ? ctx.lineTo(t.x(x), t.y(out.y[i])) : ctx.moveTo(t.x(x), t.y(out.y[i]))));
  ctx.stroke();
}

function drawLoss(history) {
  const canvas = $("loss"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!history || history.epoch.length < 2) return;
  const top = Math.max(...history.train, ...history.test) * 1.05 || 1;
  const last = history.epoch[history.epoch.length - 1], first = history.epoch[0];
  const x = (e) => 4 + ((e - first) / Math.max(1, last - first)) * (canvas.width - 8);
  const y = (v) => canvas.height - 4 - (v / top) * (canvas.height - 8);
  for (const [series, colour] of [[history.train, "#444"], [history.test, `rgb(${BLUE})`]]) {
    ctx.strokeStyle = colour; ctx.lineWidth = 1.5; ctx.beginPath();
    series.forEach((v, i) => (i ? ctx.lineTo(x(history.epoch[i]), y(v)) : ctx.moveTo(x(history.epoch[i]), y(v))));
    ctx.stroke();
  }
}

// Columns of unit pictures (inputs, then each hidden layer), weights as lines
// between them, and the output units at the right.
function drawNetwork(frame) {
  const canvas = $("network"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!frame.neurons) {
    ctx.fillStyle = "#888"; ctx.fillText("Press play or step: the network is made by the first epoch.", 10, 20);
    return;
  }
  const columns = frame.neurons.length + 1;
  const outputs = frame.weights[frame.weights.length - 1].length;
  const counts = frame.neurons.map((l) => l.length).concat([outputs]);
  const size = Math.max(8, Math.min(36, Math.floor((canvas.height - 10) / Math.max(...counts)) - 4));
  const colX = (c) => 10 + c * ((canvas.width - size - 20) / (columns - 1));
  const rowY = (c, i) => { const n = counts[c], gap = (canvas.height - n * size) / (n + 1); return gap + i * (size + gap); };
  const biggest = Math.max(1e-6, ...frame.weights.flat(2).map(Math.abs));
  frame.weights.forEach((layer, c) => layer.forEach((row, to) => row.forEach((w, from) => {
    ctx.strokeStyle = `rgba(${w > 0 ? BLUE : ORANGE},${0.25 + 0.6 * Math.abs(w) / biggest})`;
    ctx.lineWidth = 0.5 + 4 * Math.abs(w) / biggest;
    ctx.beginPath();
    ctx.moveTo(colX(c) + size, rowY(c, from) + size / 2);
    ctx.lineTo(colX(c + 1), rowY(c + 1, to) + size / 2);
    ctx.stroke();
  })));
  const side = frame.neuron_side;
  frame.neurons.forEach((layer, c) => layer.forEach((map, i) => drawUnit(ctx, map, side, colX(c), rowY(c, i), size)));
  // The inputs are the chosen features, in the order the server lists them.
  ctx.fillStyle = "#555"; ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "center";
  S.state.config.features.forEach((name, i) => {
    const label = (FEATURES.find((f) => f[0] === name) || [name, name])[1];
    ctx.fillText(label, colX(0) + size / 2, rowY(0, i) + size + 11);
  });
  ctx.textAlign = "start";
  for (let i = 0; i < outputs; i++) {
    ctx.fillStyle = "#ddd"; ctx.fillRect(colX(columns - 1), rowY(columns - 1, i), size, size);
  }
}

function drawUnit(ctx, map, side, x, y, size) {
  const image = new ImageData(side, side);
  map.forEach((v, i) => image.data.set([...diverging(v / 100), 255], i * 4));
  const small = document.createElement("canvas");
  small.width = side; small.height = side;
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, x, y, size, size);
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1; ctx.strokeRect(x, y, size, size);
}

async function showGraph() {
  const graph = await api("/api/graph");
  const fmt = (values) => (values ? values.map((v) => v.toPrecision(3)).join(", ") : "–");
  $("graph-nodes").tBodies[0].replaceChildren(...graph.nodes.map((n) => {
    const tr = document.createElement("tr");
    for (const text of [n.name, `[${n.shape}]`, fmt(n.value), fmt(n.grad)]) {
      const td = document.createElement("td"); td.textContent = text; tr.append(td);
    }
    return tr;
  }));
  $("graph-dot").textContent = graph.dot;
}

wireControls();
start().catch(showError);
