// POST /api/cmcd (+ OPTIONS preflight): CMCD v2 event reports (dash.js 5 reporting targets in
// event mode), one CMCD line per event. Anonymous on purpose, like /api/beacons: players are
// public clients; origin checks and limits guard it.
import { app } from '@azure/functions';
import { handleCmcdRequest } from '../intake/http/handlers.js';
import { getServices } from '../composition/app.js';

app.http('cmcd', {
  route: 'cmcd',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: async (request, context) => handleCmcdRequest(request, context, await getServices()),
});
