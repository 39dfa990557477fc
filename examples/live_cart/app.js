// The live cart page: renders the cart, sends commands over the live socket, and
// follows the server's live-socket protocol:
//   {"event":"cart", ...}             the cart changed (in any tab of this session)
//   {"event":"error","message":...}   a command of this tab was refused
//   {"event":"session_expired"} + close 4001   the session is over: reload into a new one
//   {"event":"rotated"}         + close 4002   the session has a new ID: reconnect
//   {"event":"shutdown"}        + close 4003   the server is going away: retry later
//   {"event":"logged_out"}      + close 4004   every session of the user ended: reload
//   {"event":"reconnect"}       + close 4005   the cart moved to another server: reconnect
"use strict";

const $ = (selector) => document.querySelector(selector);
let socket = null;
let version = -1;
let ended = false;
let retries = 0;

function setStatus(text, live) {
  const status = $("#status");
  status.textContent = text;
  status.className = live ? "live" : "down";
}

function showNotice(text) {
  const notice = $("#notice");
  notice.textContent = text;
  notice.hidden = false;
}

function flash(text) {
  $("#flash").textContent = text;
}

function render(cart) {
  if (cart.version < version) return; // an older update arriving late
  version = cart.version;
  const list = $("#cart");
  list.replaceChildren();
  for (const line of cart.items) {
    const item = document.createElement("li");
    item.dataset.name = line.name;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = line.name;
    const quantity = document.createElement("span");
    quantity.className = "quantity";
    quantity.textContent = "× " + line.quantity;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "Remove";
    remove.addEventListener("click", () => send({ op: "remove", item: line.name }));
    item.append(name, quantity, remove);
    list.append(item);
  }
  $("#empty").hidden = cart.items.length > 0;
}

async function load() {
  const response = await fetch("/api/cart", { cache: "no-store" });
  if (response.status === 401) return expired();
  // 409: sent with the session ID another tab just rotated; the new cookie is on its way.
  if (response.status === 409) return setTimeout(load, 200);
  if (!response.ok) return flash("could not load the cart (" + response.status + ")");
  const body = await response.json();
  version = -1;
  render(body.cart);
  $("#ttl").textContent =
    "It expires after " + Math.round(body.idle_ttl_ms / 100) / 10 + " s without activity.";
}

// Commands go over the live socket; without one, over plain HTTP.
async function send(command) {
  flash("");
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(command));
    return;
  }
  const response = command.op === "add"
    ? await fetch("/api/cart/items", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ item: command.item }),
      })
    : await fetch("/api/cart/items/" + encodeURIComponent(command.item), { method: "DELETE" });
  const body = await response.json();
  if (response.ok) render(body);
  else flash(body.error);
}

function expired() {
  if (ended) return;
  ended = true;
  setStatus("session over", false);
  showNotice("Session expired. Reloading into a fresh session…");
  setTimeout(() => location.reload(), 2500);
}

function loggedOut() {
  if (ended) return;
  ended = true;
  setStatus("logged out", false);
  showNotice("Logged out everywhere. Reloading into a fresh session…");
  setTimeout(() => location.reload(), 2500);
}

async function whoami() {
  const response = await fetch("/api/me", { cache: "no-store" });
  if (!response.ok) return;
  const body = await response.json();
  if (body.user) {
    $("#whoami").textContent = "Logged in as " + body.user + ".";
    $("#login-form").hidden = true;
  }
}

function retryLater() {
  if (ended) return;
  retries += 1;
  if (retries > 6) return location.reload();
  setStatus("reconnecting…", false);
  setTimeout(connect, Math.min(250 * 2 ** retries, 5000));
}

function connect() {
  if (ended) return;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/live");
  socket.addEventListener("open", () => {
    retries = 0;
    setStatus("live", true);
    $("#notice").hidden = true; // back after a restart: the cart is the stored one
    load(); // catch up on changes made while this tab was not connected
  });
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    switch (event.event) {
      case "cart": render(event); break;
      case "error": flash(event.message); break;
      case "session_expired": expired(); break;
      case "rotated": setStatus("session ID rotated, reconnecting…", false); break;
      case "shutdown": showNotice("The server is shutting down."); break;
      case "logged_out": loggedOut(); break;
      case "reconnect": setStatus("cart moved to another server, reconnecting…", false); break;
    }
  });
  socket.addEventListener("close", (close) => {
    socket = null;
    if (close.code === 4001) expired();
    else if (close.code === 4004) loggedOut();
    else if (close.code === 4002) setTimeout(connect, 100); // the new cookie is set by now
    else if (close.code === 4005) setTimeout(connect, 100); // another server has the cart now
    else retryLater();
  });
}

$("#add-form").addEventListener("submit", (submit) => {
  submit.preventDefault();
  const input = $("#item-input");
  const item = input.value.trim();
  if (item) send({ op: "add", item });
  input.value = "";
  input.focus();
});

$("#rotate").addEventListener("click", async () => {
  const response = await fetch("/api/rotate", { method: "POST" });
  flash(response.ok ? "New session ID; same cart." : "Rotation failed (" + response.status + ")");
});

$("#logout").addEventListener("click", async () => {
  await fetch("/api/logout", { method: "POST" });
  // The live socket hears "session_expired" and the page reloads into a new session.
});

$("#login-form").addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const response = await fetch("/api/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user: $("#user-input").value }),
  });
  const body = await response.json();
  if (!response.ok) return flash(body.error);
  // The login moved the session to a new ID: the socket hears "rotated" and reconnects.
  whoami();
});

$("#logout-everywhere").addEventListener("click", async () => {
  await fetch("/api/logout-everywhere", { method: "POST" });
  // Every socket of the user, this one included, hears "logged_out".
});

load().then(connect).then(whoami);
