// Checks Adaptive Cards with Microsoft's own Adaptive Cards library: reads a JSON array of
// cards on stdin and prints, for each card, the parse and validation problems it reported.
const AC = require("adaptivecards/dist/adaptivecards.js");

function problems(json) {
  const found = [];
  const context = new AC.SerializationContext();
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) {
    found.push(`parse: ${context.getEventAt(i).message}`);
  }
  for (const event of card.validateProperties().validationEvents) {
    found.push(`validate: ${event.message}`);
  }
  return found;
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(problems)));
});
