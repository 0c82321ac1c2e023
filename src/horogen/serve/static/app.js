// The page: twelve sign buttons, a date, the chosen sign's horoscope, a like/dislike pair.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { sign: null, shown: null };

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.detail || response.statusText);
    error.status = response.status;
    throw error;
  }
  return body;
}

function say(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

async function show() {
  if (!state.sign) return;
  for (const button of $("signs").children) {
    button.setAttribute("aria-pressed", String(button.dataset.sign === state.sign));
  }
  say("Звёзды думают…");
  const url = `/v1/horoscopes/${state.sign}?date=${$("date").value}`;
  try {
    const text = await getJson(url);
    state.shown = text;
    $("title").textContent = `${text.emoji} ${text.name} · ${text.date}`;
    $("text").textContent = text.text;
    $("model").textContent = text.model;
    $("likes").textContent = "";
    $("dislikes").textContent = "";
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

async function start() {
  const about = await getJson("/v1/about");
  const date = $("date");
  date.min = about.first_date;
  date.max = about.last_date;
  date.value = about.today;
  date.addEventListener("change", show);
  $("model").textContent = about.model || "ещё не загружена";
  for (const sign of about.signs) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.sign = sign.sign;
    button.setAttribute("aria-pressed", "false");
    button.innerHTML = `<span class="emoji"></span><span class="name"></span>`;
    button.querySelector(".emoji").textContent = sign.emoji;
    button.querySelector(".name").textContent = sign.name;
    button.addEventListener("click", () => { state.sign = sign.sign; show(); });
    $("signs").append(button);
  }
  $("like").addEventListener("click", () => vote("like"));
  $("dislike").addEventListener("click", () => vote("dislike"));
}

start().catch((error) => say(`Не удалось загрузить страницу: ${error.message}`));
