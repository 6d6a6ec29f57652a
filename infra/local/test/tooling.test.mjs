import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCfnYaml } from '../lib/cfn-yaml.mjs';
import { Resolver } from '../create-resources.mjs';
import { LOCAL_DIR } from './helpers.mjs';

test('CloudFormation short-form tags become their long forms', () => {
  const doc = parseCfnYaml(`
a: !Ref Thing
b: !GetAtt Table.Arn
c: !GetAtt Db.Endpoint.Address
d: !Sub 'arn:\${AWS::Partition}:x'
e: !Sub ['\${A}-x', { A: !Ref B }]
f: !Join [':', [a, !Ref B]]
g: !If [IsProd, 1, !Ref 'AWS::NoValue']
h: !Equals [a, b]
i: !Not [!Condition C]
j: !Select [0, !Split [',', 'x,y']]
k: !FindInMap [M, K, V]
l: !ImportValue Exported
m: !GetAZs ''
n: !Base64 text
o: !And [!Condition A, !Or [!Condition B, !Condition C]]
p: !Cidr [10.1.2.0/24, 4, 8]
`);
  assert.deepEqual(doc, {
    a: { Ref: 'Thing' },
    b: { 'Fn::GetAtt': ['Table', 'Arn'] },
    c: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] },
    d: { 'Fn::Sub': 'arn:${AWS::Partition}:x' },
    e: { 'Fn::Sub': ['${A}-x', { A: { Ref: 'B' } }] },
    f: { 'Fn::Join': [':', ['a', { Ref: 'B' }]] },
    g: { 'Fn::If': ['IsProd', 1, { Ref: 'AWS::NoValue' }] },
    h: { 'Fn::Equals': ['a', 'b'] },
    i: { 'Fn::Not': [{ Condition: 'C' }] },
    j: { 'Fn::Select': [0, { 'Fn::Split': [',', 'x,y'] }] },
    k: { 'Fn::FindInMap': ['M', 'K', 'V'] },
    l: { 'Fn::ImportValue': 'Exported' },
    m: { 'Fn::GetAZs': '' },
    n: { 'Fn::Base64': 'text' },
    o: { 'Fn::And': [{ Condition: 'A' }, { 'Fn::Or': [{ Condition: 'B' }, { Condition: 'C' }] }] },
    p: { 'Fn::Cidr': ['10.1.2.0/24', 4, 8] },
  });
});

test('intrinsics resolve against parameters, conditions and mappings', () => {
  const template = parseCfnYaml(`
Parameters:
  Env: { Type: String, Default: prod }
Mappings:
  Sizes: { prod: { rcu: 10 } }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources: {}
`);
  const r = new Resolver(template);
  assert.equal(r.resolve({ 'Fn::Sub': '${Env}-${AWS::Region}-${AWS::AccountId}' }, 'x'), 'prod-us-east-1-000000000000');
  assert.equal(r.resolve({ 'Fn::If': ['IsProd', 'big', 'small'] }, 'x'), 'big');
  assert.equal(r.resolve({ 'Fn::FindInMap': ['Sizes', { Ref: 'Env' }, 'rcu'] }, 'x'), 10);
  assert.deepEqual(r.resolve(['a', { Ref: 'AWS::NoValue' }], 'x'), ['a']);
  assert.throws(() => r.resolve({ Ref: 'Missing' }, 'here'), /here: cannot resolve !Ref Missing/);
});

function validate(dir) {
  return spawnSync(process.execPath, [join(LOCAL_DIR, 'validate-asl.mjs'), dir], { encoding: 'utf8' });
}

test('validate-asl accepts the repository definitions (placeholders substituted)', () => {
  const res = validate(join(LOCAL_DIR, '..'));
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /ok\s+.*escalation\.asl\.json/);
});

test('validate-asl names an invalid file and its errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'asl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'nested'));
  writeFileSync(join(dir, 'good.asl.json'), JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Task', Resource: '${Fn}', End: true } } }));
  writeFileSync(join(dir, 'nested', 'bad.asl.json'), JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Gone' } } }));
  const res = validate(dir);
  assert.equal(res.status, 1);
  assert.match(res.stderr, /INVALID .*nested\/bad\.asl\.json/);
  assert.match(res.stderr, /Gone/);
  assert.doesNotMatch(res.stderr, /good\.asl\.json/);
});
