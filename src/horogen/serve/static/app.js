// The page: a category, twelve sign buttons, a date, the chosen horoscope, a like/dislike
// pair and a permalink. The choice lives in the URL (?sign=leo&category=love&date=…), so a
// reload or a shared address shows the same horoscope.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { sign: null, category: "general", shown: null };

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = Array.isArray(body.detail) ? body.detail[0].msg : body.detail;
    const error = new Error(detail || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function say(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

function remember() {
  // The choice in the address: a reload keeps it, a copied address shares it.
  const query = new URLSearchParams();
  if (state.sign) query.set("sign", state.sign);
  query.set("category", state.category);
  if ($("date").value !== window.today) query.set("date", $("date").value);
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

function mark() {
  for (const button of $("signs").children) {
    const chosen = button.dataset.sign === state.sign;
    button.setAttribute("aria-pressed", String(chosen));
  }
  for (const input of $("categories").querySelectorAll("input")) {
    input.checked = input.value === state.category;
  }
}

async function show() {
  mark();
  remember();
  if (!state.sign) return;
  say("Звёзды думают…");
  const date = $("date").value;
  const url = `/v1/horoscopes/${state.sign}?date=${date}&category=${state.category}`;
  try {
    const text = await getJson(url);
    state.shown = text;
    const kind = window.categoryNames[text.category] || text.category;
    $("title").textContent = `${text.emoji} ${text.name} · ${kind} · ${text.date}`;
    $("text").textContent = text.text;
    $("model").textContent = text.model;
    $("likes").textContent = "";
    $("dislikes").textContent = "";
    $("permalink").href = `/${text.sign}/${text.date}?category=${text.category}`;
    for (const id of ["like", "dislike"]) $(id).classList.remove("chosen");
    $("horoscope").hidden = false;
    say("");
  } catch (error) {
    $("horoscope").hidden = true;
    say(error.status === 503 ? "Модель ещё не готова, попробуйте через минуту." : error.message);
  }
}

async function vote(verdict) {
  const text = state.shown;
  if (!text) return;
  try {
    const count = await getJson(`/v1/horoscopes/${text.sign}/feedback`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        // The reader is the server's cookie; the ticket says this text was served to them.
        verdict, ticket: text.ticket, date: text.date, category: text.category, model: text.model,
      }),
    });
    $("likes").textContent = count.likes;
    $("dislikes").textContent = count.dislikes;
    $("like").classList.toggle("chosen", verdict === "like");
    $("dislike").classList.toggle("chosen", verdict === "dislike");
  } catch (error) {
    say(error.message);
  }
}

function columns(grid) {
  // How many sign buttons a row holds at this width (for the arrow keys).
  return getComputedStyle(grid).gridTemplateColumns.split(" ").length;
}

function arrows(event) {
  // Arrow keys, Home and End move between the sign buttons (one Tab stop for all twelve).
  const buttons = Array.from($("signs").children);
  const at = buttons.indexOf(document.activeElement);
  if (at < 0) return;
  const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns($("signs")),
    ArrowUp: -columns($("signs")), Home: -at, End: buttons.length - 1 - at }[event.key];
  if (step === undefined) return;
  event.preventDefault();
  const next = Math.min(buttons.length - 1, Math.max(0, at + step));
  for (const [i, button] of buttons.entries()) button.tabIndex = i === next ? 0 : -1;
  buttons[next].focus();
}

function signButtons(signs) {
  for (const sign of signs) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.sign = sign.sign;
    button.tabIndex = sign.sign === (state.sign || signs[0].sign) ? 0 : -1;
    button.setAttribute("aria-pressed", "false");
    button.innerHTML = `<span class="emoji" aria-hidden="true"></span><span class="name"></span>`;
    button.querySelector(".emoji").textContent = sign.emoji;
    button.querySelector(".name").textContent = sign.name;
    button.addEventListener("click", () => { state.sign = sign.sign; show(); });
    $("signs").append(button);
  }
  $("signs").addEventListener("keydown", arrows);
}

function categoryChoice(categories, names) {
  // Radio buttons: one Tab stop, arrow keys pick the next category.
  for (const category of categories) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "category";
    input.value = category;
    input.addEventListener("change", () => { state.category = category; show(); });
    label.append(input, document.createTextNode(names[category] || category));
    $("categories").append(label);
  }
}

async function start() {
  const about = await getJson("/v1/about");
  window.categoryNames = about.category_names || {};
  window.today = about.today;
  const asked = new URLSearchParams(location.search);
  const date = $("date");
  date.min = about.first_date;
  date.max = about.last_date;
  const day = asked.get("date");
  date.value = day && day >= about.first_date && day <= about.last_date ? day : about.today;
  date.addEventListener("change", show);
  if (about.categories.includes(asked.get("category"))) state.category = asked.get("category");
  if (about.signs.some((s) => s.sign === asked.get("sign"))) state.sign = asked.get("sign");
  $("model").textContent = about.model || "ещё не загружена";
  categoryChoice(about.categories, window.categoryNames);
  signButtons(about.signs);
  $("like").addEventListener("click", () => vote("like"));
  $("dislike").addEventListener("click", () => vote("dislike"));
  await show();
}

start().catch((error) => say(`Не удалось загрузить страницу: ${error.message}`));
