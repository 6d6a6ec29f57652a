// js-yaml schema for CloudFormation/SAM templates. The short-form intrinsic tags
// (!Ref, !GetAtt, ...) are not YAML core types, so the default schema rejects them;
// here each one is turned into the long form CloudFormation itself uses
// ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...) so the rest of the tooling only ever
// has to understand JSON-shaped templates.
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

const FN_TAGS = {
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap',
  ImportValue: 'Fn::ImportValue',
  GetAZs: 'Fn::GetAZs',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  Transform: 'Fn::Transform',
  ToJsonString: 'Fn::ToJsonString',
  Length: 'Fn::Length',
};

// A tag may legally appear on a scalar, a sequence or a mapping (e.g. `!Sub 'x'` and
// `!Sub [x, {..}]`), and js-yaml needs a separate Type per node kind.
const KINDS = ['scalar', 'sequence', 'mapping'];

function typesFor(tag, key, transform = (data) => data) {
  return KINDS.map(
    (kind) =>
      new yaml.Type(`!${tag}`, {
        kind,
        // A bare tag (`!GetAZs` with no value) arrives as null; CloudFormation reads it as ''.
        construct: (data) => ({ [key]: transform(data ?? '', kind) }),
      }),
  );
}

function splitGetAtt(data, kind) {
  if (kind !== 'scalar') return data;
  const text = String(data);
  const dot = text.indexOf('.');
  // "Res.Attr.Nested" -> ["Res", "Attr.Nested"]: only the first dot separates the
  // logical id, as in CloudFormation (e.g. Endpoint.Address).
  if (dot < 0) throw new Error(`!GetAtt "${text}" must be of the form LogicalId.Attribute`);
  return [text.slice(0, dot), text.slice(dot + 1)];
}

export const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend([
  ...typesFor('Ref', 'Ref'),
  ...typesFor('Condition', 'Condition'),
  ...typesFor('GetAtt', 'Fn::GetAtt', splitGetAtt),
  ...Object.entries(FN_TAGS).flatMap(([tag, key]) => typesFor(tag, key)),
]);

export function parseCfnYaml(text, filename = 'template') {
  return yaml.load(text, { schema: CFN_SCHEMA, filename });
}

export function loadTemplate(path) {
  const text = readFileSync(path, 'utf8');
  // JSON templates are valid YAML too, so a single parser covers both.
  return parseCfnYaml(text, path);
}
