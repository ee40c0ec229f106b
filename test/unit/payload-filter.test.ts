/**
 * The payload-filter evaluator and validator, pure. test/e2e/filters.test.ts runs the same kind
 * of table through the real matching path (ingest → match activity → Delivery rows).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterProblem, isEmptyFilter, matchesFilter, type FilterableEvent } from '../../libs/domain/payload-filter';

const render: FilterableEvent = {
  type: 'video.render.completed',
  templateId: 'tpl_promo',
  tenantId: 'acme',
  data: {
    render_id: 'r1',
    status: 'done',
    url: 'https://cdn.example.com/r1.mp4',
    duration_seconds: 42,
    tags: ['promo', 'spring'],
    metadata: { env: 'prod', region: 'eu-west-1' },
    poster: null,
  },
};

/** [name, filter, matches render]. */
const TABLE: [string, Record<string, unknown>, boolean][] = [
  ['a plain value is $eq', { data: { status: 'done' } }, true],
  ['a nested $eq', { data: { metadata: { env: { $eq: 'prod' } } } }, true],
  ['$eq that differs', { data: { metadata: { env: { $eq: 'staging' } } } }, false],
  ['$neq', { data: { metadata: { env: { $neq: 'staging' } } } }, true],
  ['$neq on an absent field matches', { data: { missing: { $neq: 'x' } } }, true],
  ['$eq null on a null field', { data: { poster: null } }, true],
  ['$eq null on an absent field does not match', { data: { missing: { $eq: null } } }, false],
  ['$in', { data: { metadata: { region: { $in: ['eu-west-1', 'eu-central-1'] } } } }, true],
  ['$nin', { data: { metadata: { region: { $nin: ['us-east-1'] } } } }, true],
  ['$nin that holds the value', { data: { metadata: { region: { $nin: ['eu-west-1'] } } } }, false],
  ['$eq against an array field: an element', { data: { tags: 'spring' } }, true],
  ['$in against an array field: any element', { data: { tags: { $in: ['winter', 'promo'] } } }, true],
  ['an array value: the whole array', { data: { tags: ['promo', 'spring'] } }, true],
  ['$gt', { data: { duration_seconds: { $gt: 30 } } }, true],
  ['$gte at the bound', { data: { duration_seconds: { $gte: 42 } } }, true],
  ['$lt', { data: { duration_seconds: { $lt: 42 } } }, false],
  ['$lte with $gt: a range', { data: { duration_seconds: { $gt: 10, $lte: 60 } } }, true],
  ['$gt across types never matches', { data: { status: { $gt: 1 } } }, false],
  ['$gt on strings', { data: { render_id: { $gt: 'r0' } } }, true],
  ['$exists true', { data: { url: { $exists: true } } }, true],
  ['$exists false on an absent field', { data: { thumbnail: { $exists: false } } }, true],
  ['$exists false on a null field: it is present', { data: { poster: { $exists: false } } }, false],
  ['$startsWith', { data: { url: { $startsWith: 'https://cdn.example.com/' } } }, true],
  ['$startsWith on a number', { data: { duration_seconds: { $startsWith: '4' } } }, false],
  ['type', { type: { $startsWith: 'video.render.' } }, true],
  ['templateId', { templateId: 'tpl_other' }, false],
  ['tenantId', { tenantId: { $in: ['acme', 'globex'] } }, true],
  ['$or at the root', { $or: [{ templateId: 'tpl_other' }, { data: { metadata: { env: 'prod' } } }] }, true],
  ['$and at the root', { $and: [{ templateId: 'tpl_promo' }, { data: { metadata: { env: 'staging' } } }] }, false],
  ['$not at the root', { $not: { data: { metadata: { env: 'staging' } } } }, true],
  ['$or at a field', { data: { metadata: { env: { $or: [{ $eq: 'dev' }, { $startsWith: 'pro' }] } } } }, true],
  ['$not at a field', { data: { duration_seconds: { $not: { $gt: 40 } } } }, false],
  ['fields and operators combined: every one must pass', { type: 'video.render.completed', data: { status: 'done', duration_seconds: { $gte: 60 } } }, false],
  ['a path through a scalar is absent', { data: { status: { deeper: 'x' } } }, false],
];

describe('payload filter evaluation', () => {
  for (const [name, filter, expected] of TABLE) {
    it(`${expected ? 'matches' : 'does not match'}: ${name}`, () => {
      assert.equal(filterProblem(filter), undefined, 'the table uses valid filters');
      assert.equal(matchesFilter(filter, render), expected);
    });
  }

  it('lets every event through an empty filter, and treats {} and null as none', () => {
    assert.ok(matchesFilter(null, render));
    assert.ok(matchesFilter({}, render));
    assert.ok(isEmptyFilter({}) && isEmptyFilter(null) && isEmptyFilter(undefined));
    assert.ok(!isEmptyFilter({ data: {} }));
  });

  it('does not read inherited properties', () => {
    assert.equal(matchesFilter({ data: { toString: { $exists: true } } }, render), false);
  });
});

describe('payload filter validation', () => {
  /** [filter, the path of its first problem]. */
  const BAD: [unknown, string][] = [
    [[], ''],
    ['prod', ''],
    [{ metadata: { env: 'prod' } }, '/metadata'],
    [{ $eq: 'x' }, '/$eq'],
    [{ data: { env: { $equals: 'prod' } } }, '/data/env/$equals'],
    [{ data: { env: { $eq: 'prod', region: 'eu' } } }, '/data/env/region'],
    [{ data: { env: { $in: 'prod' } } }, '/data/env/$in'],
    [{ data: { env: { $in: [] } } }, '/data/env/$in'],
    [{ data: { env: { $in: [{ a: 1 }] } } }, '/data/env/$in'],
    [{ data: { n: { $gt: true } } }, '/data/n/$gt'],
    [{ data: { n: { $exists: 'yes' } } }, '/data/n/$exists'],
    [{ data: { n: { $startsWith: 1 } } }, '/data/n/$startsWith'],
    [{ data: { n: { $eq: { a: 1 } } } }, '/data/n/$eq'],
    [{ $or: [] }, '/$or'],
    [{ $or: [{ data: { a: 1 } }, 'x'] }, '/$or/1'],
    [{ $or: [{ data: { a: { $bad: 1 } } }] }, '/$or/0/data/a/$bad'],
    [{ $not: [] }, '/$not'],
    [{ type: { nested: 'x' } }, '/type'],
    [{ data: { 'a/b': { $zz: 1 } } }, '/data/a~1b/$zz'],
  ];
  for (const [filter, path] of BAD) {
    it(`refuses ${JSON.stringify(filter)} at ${path || '/'}`, () => {
      const problem = filterProblem(filter);
      assert.ok(problem, 'a problem');
      assert.equal(problem.path, path);
      assert.ok(problem.message.length > 0);
    });
  }

  it('refuses filters too deep or too large', () => {
    let deep: Record<string, unknown> = { $eq: 1 };
    for (let i = 0; i < 20; i++) deep = { a: deep };
    assert.match(filterProblem({ data: deep })?.message ?? '', /deeper/);
    assert.match(filterProblem({ data: { big: { $in: Array.from({ length: 100 }, (_, i) => 'x'.repeat(100) + i) } } })?.message ?? '', /bytes/);
  });
});
