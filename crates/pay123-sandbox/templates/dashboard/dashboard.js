// The dashboard's buttons: each sends the admin API's own JSON request (the sandbox refuses any
// other), shows the answer, and reloads the page to show what changed.
"use strict";

function show(text) {
  const out = document.getElementById("action-result");
  if (out) out.textContent = text;
}

// The answer to the last action, shown again after the page reloads to show its effect.
const last = sessionStorage.getItem("pay123-sandbox-action");
if (last) {
  sessionStorage.removeItem("pay123-sandbox-action");
  show("last action: " + last);
}

async function send(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return { status: response.status, text: await response.text() };
}

const actions = document.querySelector(".actions");
if (actions) {
  actions.querySelectorAll("button").forEach((button) => {
    button.addEventListener("click", async () => {
      const body = {};
      if (button.dataset.field) {
        body[button.dataset.field] = document.getElementById(button.dataset.from).value;
      }
      if (button.dataset.once) body.calls = 1;
      const url = button.dataset.global
        ? "../" + button.dataset.global
        : actions.dataset.base + button.dataset.path + actions.dataset.merchant;
      button.disabled = true;
      try {
        const answer = await send(url, body);
        const text = button.textContent + ": " + answer.status + " " + answer.text;
        show(text);
        if (answer.status < 300) {
          sessionStorage.setItem("pay123-sandbox-action", text);
          setTimeout(() => location.reload(), 1000);
        }
      } catch (e) {
        show("the request failed: " + e);
      } finally {
        button.disabled = false;
      }
    });
  });
}

const login = document.getElementById("login");
if (login) {
  login.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await send(login.dataset.action, { token: document.getElementById("token").value });
    if (answer.status < 300) {
      location.href = "./";
    } else {
      show(answer.status + " " + answer.text);
    }
  });
}
