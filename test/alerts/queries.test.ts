// The alerting queries against the schema the versioned scripts build (kql:check does the same).
import { describe, expect, it } from 'vitest';
import { ALERT_QUERIES, DETECT_SESSION_ANOMALIES } from '../../src/alerts/queries.js';
import { QOE_ANOMALIES_COLUMNS } from '../../src/alerts/anomaly-table.js';
import { checkKqlFolder } from '../../src/kql/analyzer.js';

const schema = checkKqlFolder('kql');

describe('alerting KQL', () => {
  it(
    'every query the app sends analyses cleanly against kql/, and takes its values as declared parameters',
    { timeout: 300_000 },
    async () => {
      const { builder, diagnostics } = await schema;
      expect(diagnostics).toEqual([]);
      for (const [name, query] of Object.entries(ALERT_QUERIES)) {
        expect(builder.analyzeQuery(query, name), name).toEqual([]);
        expect(query).toMatch(/^declare query_parameters\(/);
        expect(query, name).not.toMatch(/datetime\(|ago\(|\d{4}-\d{2}-\d{2}/);
      }
      // a wrong column is caught: the check is not vacuous
      expect(builder.analyzeQuery(DETECT_SESSION_ANOMALIES.replace('DimensionValue', 'DimensionName')).length).toBeGreaterThan(0);
    },
  );

  it('the CSV the timer appends has the columns of QoeAnomalies, in table order', async () => {
    const { builder } = await schema;
    expect(builder.tableColumns('QoeAnomalies')?.map((c) => c.name)).toEqual([...QOE_ANOMALIES_COLUMNS]);
  });
});
