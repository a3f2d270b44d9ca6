// POST /api/beacons (+ OPTIONS preflight): QoE beacons from players.
// Anonymous on purpose: players are public clients; origin checks and limits guard it.
import { app } from '@azure/functions';
import { handleBeaconRequest } from '../intake/http/handlers.js';
import { getServices } from '../composition/app.js';

app.http('beacons', {
  route: 'beacons',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: async (request, context) => handleBeaconRequest(request, context, await getServices()),
});
