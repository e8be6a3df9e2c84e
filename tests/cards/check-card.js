// Parses Adaptive Cards with the Adaptive Cards library's own parser and reports every
// validation event (errors and warnings) it raises. Reads a JSON array of cards on stdin and
// writes a JSON array with one list of events per card. Parsing needs no DOM.
"use strict";
// The package's lib/ is extension-less ESM that Node cannot load; dist/ is its UMD bundle.
const AC = require("adaptivecards/dist/adaptivecards.js");

function check(json) {
  const context = new AC.SerializationContext();
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  const events = [];
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    events.push({ phase: e.phase, event: e.event, message: e.message, source: "" });
  }
  // Validation after parsing (what a host runs before rendering).
  for (const e of card.validateProperties().validationEvents) {
    events.push({ phase: e.phase, event: e.event, message: e.message, source: "" });
  }
  return events;
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cards = JSON.parse(input);
  process.stdout.write(JSON.stringify(cards.map(check)));
});
