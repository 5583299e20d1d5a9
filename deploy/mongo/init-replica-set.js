/* global rs, db, print, sleep -- mongosh shell globals */
// Run once by compose.yaml's mongo-init service (mongosh --file): initiates the three-member
// replica set rs0 unless it already is, then waits until a primary is elected. Re-running it is
// harmless, so `docker compose up` after a restart goes straight through.
const members = [
  { _id: 0, host: 'mongo-1:27017' },
  { _id: 1, host: 'mongo-2:27017' },
  { _id: 2, host: 'mongo-3:27017' },
];

let initiated = true;
try {
  rs.status();
} catch (err) {
  if (err.codeName !== 'NotYetInitialized') throw err;
  initiated = false;
}
if (initiated) {
  print('replica set rs0 already initiated');
} else {
  rs.initiate({ _id: 'rs0', members });
  print('replica set rs0 initiated');
}

const deadline = Date.now() + 120000;
while (!db.hello().primary) {
  if (Date.now() > deadline) throw new Error('no primary elected within 120 s');
  sleep(1000);
}
print(`primary: ${db.hello().primary}`);
