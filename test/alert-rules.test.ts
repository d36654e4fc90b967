// The shipped alert rules parse under promtool and fire on the series Cairn exports.
import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rulesPath = join(import.meta.dir, '..', 'docs', 'prometheus-alerts.yml');
const dir = mkdtempSync(join(tmpdir(), 'cairn-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const unitTests = `
rule_files:
  - ${rulesPath}
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'cairn_drive_state{instance="n1",drive="2",state="offline"}'
        values: '0 1 1 1 1 1 1 1 1 1'
      - series: 'cairn_drives_online{instance="n1"}'
        values: '4 3 3 3 3 3 3 3 2 2 2'
      - series: 'cairn_write_quorum_drives{instance="n1"}'
        values: '3x10'
      - series: 'cairn_audit_events_dropped_total{instance="n1"}'
        values: '0 0 5 5 5'
      - series: 'cairn_kms_up{instance="n1"}'
        values: '1 0 0 0 0'
    alert_rule_test:
      - eval_time: 7m
        alertname: CairnDriveOffline
        exp_alerts:
          - exp_labels: { severity: warning, instance: n1, drive: "2", state: offline }
            exp_annotations:
              summary: "Cairn drive 2 on n1 is offline"
              description: "The drive has been offline for 5 minutes. Objects stay readable while enough drives remain; replace or repair the drive and run a heal."
      - eval_time: 4m
        alertname: CairnWriteQuorumAtRisk
        exp_alerts:
          - exp_labels: { severity: critical, instance: n1 }
            exp_annotations:
              summary: "Cairn on n1 is one drive away from losing write quorum"
              description: "3 drives are online, exactly the write quorum. One more drive failure stops all writes."
      - eval_time: 10m
        alertname: CairnWriteQuorumLost
        exp_alerts:
          - exp_labels: { severity: critical, instance: n1 }
            exp_annotations:
              summary: "Cairn on n1 has lost write quorum"
              description: "Fewer drives are online than the write quorum: writes fail with 503 and /cairn/health/ready answers 503."
      - eval_time: 4m
        alertname: CairnKmsUnreachable
        exp_alerts:
          - exp_labels: { severity: critical, instance: n1 }
            exp_annotations:
              summary: "Cairn on n1 cannot reach its KMS"
              description: "Reads and writes of SSE-S3 and SSE-KMS objects fail with 503 while the KMS is unreachable."
`;

describe('docs/prometheus-alerts.yml', () => {
  test('promtool check rules accepts it', () => {
    const r = promtool(['check', 'rules', rulesPath]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('the rules fire on drive loss, quorum risk and KMS outage (promtool test rules)', () => {
    const path = join(dir, 'rules.test.yml');
    writeFileSync(path, unitTests);
    const r = promtool(['test', 'rules', path]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('promtool rejects a broken rule file (the check can fail)', () => {
    const path = join(dir, 'broken.yml');
    writeFileSync(path, 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: rate(\n');
    expect(promtool(['check', 'rules', path]).status).not.toBe(0);
  });
});
