// Validates every *.asl.json under a directory (default: the repository's infra/) with
// asl-validator. Exits 1 naming each invalid file and its errors, 2 on usage/IO errors.
//
// Definitions carry SAM DefinitionSubstitutions placeholders ("${RecheckFunctionArn}"), which
// are not valid ARNs/values by themselves, so each placeholder is first replaced by a
// plausible stand-in chosen from its name (a Lambda ARN unless the name says otherwise).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator');
const HERE = dirname(fileURLToPath(import.meta.url));
const SKIP_DIRS = new Set(['node_modules', '.stack', '.git', 'target']);

export function placeholderValue(name) {
  const acct = '000000000000';
  const region = 'us-east-1';
  if (/statemachine/i.test(name)) return `arn:aws:states:${region}:${acct}:stateMachine:${name}`;
  if (/topic/i.test(name)) return `arn:aws:sns:${region}:${acct}:${name}`;
  if (/queue.*url|url.*queue/i.test(name)) return `https://sqs.${region}.amazonaws.com/${acct}/${name}`;
  if (/queue/i.test(name)) return `arn:aws:sqs:${region}:${acct}:${name}`;
  if (/table/i.test(name)) return name;
  if (/bucket/i.test(name)) return name.toLowerCase();
  // Task Resource fields are ARN-checked, and functions are what they name most often.
  return `arn:aws:lambda:${region}:${acct}:function:${name}`;
}

export function substitutePlaceholders(text) {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name) => placeholderValue(name));
}

export function validateText(text) {
  let definition;
  try {
    definition = JSON.parse(substitutePlaceholders(text));
  } catch (err) {
    return { isValid: false, errors: [`not valid JSON: ${err.message}`] };
  }
  const result = aslValidator(definition);
  return {
    isValid: result.isValid,
    errors: result.isValid ? [] : result.errorsText('\n').split('\n').filter(Boolean),
  };
}

export function findDefinitions(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name));
      } else if (entry.name.endsWith('.asl.json')) {
        found.push(join(dir, entry.name));
      }
    }
  };
  walk(root);
  return found.sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? resolve(HERE, '..'));
  try {
    if (!statSync(root).isDirectory()) throw new Error(`${root} is not a directory`);
  } catch (err) {
    process.stderr.write(`validate-asl: ${err.message}\n`);
    process.exit(2);
  }
  const files = findDefinitions(root);
  if (files.length === 0) {
    process.stdout.write(`validate-asl: no *.asl.json under ${root}\n`);
    process.exit(0);
  }
  let invalid = 0;
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    const { isValid, errors } = validateText(readFileSync(file, 'utf8'));
    if (isValid) {
      process.stdout.write(`ok      ${shown}\n`);
    } else {
      invalid++;
      process.stderr.write(`INVALID ${shown}\n${errors.map((e) => `  - ${e}`).join('\n')}\n`);
    }
  }
  process.stdout.write(`${files.length - invalid} valid, ${invalid} invalid\n`);
  process.exit(invalid ? 1 : 0);
}
