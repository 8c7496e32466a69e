/**
 * The bundled sample project: a seeded, deterministic online shop (visits, sign-ups, carts,
 * purchases) over the 90 days ending on a fixed date, so every query on it gives the same answer
 * on every machine. The repository ships without the data; it is written on first use.
 *
 * Run directly to scale it (the bench uses 1,000,000 events):
 *   node --import tsx server/src/sample/generateSample.ts [--events N] [--seed S] [--out DIR]
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';

export const SAMPLE_DATA_FILE = 'shop.ndjson.gz';
export const SAMPLE_PEOPLE_FILE = 'shop.people.ndjson';
export const SAMPLE_SCHEMA_FILE = 'shop.lexicon.json';
/** The last day of the sample (UTC); the data covers the 90 days ending here. */
export const SAMPLE_END_DATE = '2026-10-31';
export const SAMPLE_DAYS = 90;
export const DEFAULT_SAMPLE_EVENTS = 200_000;
export const DEFAULT_SAMPLE_SEED = 20261031;

export interface SampleOptions {
  /** Events to write, duplicates included; default 200,000. */
  events?: number;
  seed?: number;
}

export interface SampleSummary {
  events: number;
  duplicates: number;
  users: number;
  profiles: number;
}

/** A raw-export line, as Mixpanel writes it. */
interface SampleEvent {
  event: string;
  properties: Record<string, string | number>;
}

/** mulberry32: tiny, fast and good enough for synthetic data; the same seed gives the same shop. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_SECONDS = 86_400;
const END_SECONDS = Date.parse(`${SAMPLE_END_DATE}T00:00:00Z`) / 1000 + DAY_SECONDS;
const START_SECONDS = END_SECONDS - SAMPLE_DAYS * DAY_SECONDS;

type Weighted<T> = ReadonlyArray<readonly [T, number]>;

const BROWSERS: Weighted<string> = [
  ['Chrome', 55],
  ['Safari', 21],
  ['Firefox', 10],
  ['Edge', 8],
  ['Opera', 2],
  ['Samsung Internet', 3],
  ['undefined', 1],
];
const OS_BY_BROWSER: Record<string, Weighted<string>> = {
  Safari: [
    ['iOS', 60],
    ['Mac OS X', 40],
  ],
  Edge: [['Windows', 100]],
  'Samsung Internet': [['Android', 100]],
  default: [
    ['Windows', 45],
    ['Mac OS X', 20],
    ['Android', 25],
    ['Linux', 10],
  ],
};
const COUNTRIES: Weighted<string> = [
  ['US', 45],
  ['GB', 12],
  ['DE', 10],
  ['FR', 7],
  ['CA', 7],
  ['IN', 8],
  ['BR', 5],
  ['PL', 6],
];
const STATES: Weighted<string> = [
  ['California', 24],
  ['New York', 16],
  ['Texas', 15],
  ['Florida', 12],
  ['Washington', 8],
  ['Illinois', 8],
  ['Massachusetts', 7],
  ['Colorado', 10],
];
/** `null` leaves utm_source unset (direct traffic); "" and "undefined" are the dirty values real exports carry. */
const UTM_SOURCES: Weighted<string | null> = [
  ['google', 34],
  ['facebook', 18],
  ['newsletter', 10],
  ['twitter', 5],
  ['', 2],
  ['undefined', 2],
  [null, 29],
];
const PLANS: Weighted<string> = [
  ['free', 68],
  ['premium', 23],
  ['team', 9],
];
const PRODUCTS: ReadonlyArray<{ id: string; name: string; category: string; price: number }> = [
  { id: 'P-1001', name: 'Trail Running Shoes', category: 'Shoes', price: 119 },
  { id: 'P-1002', name: 'Leather Boots', category: 'Shoes', price: 189 },
  { id: 'P-1003', name: 'Canvas Sneakers', category: 'Shoes', price: 59 },
  { id: 'P-2001', name: 'Rain Jacket', category: 'Outerwear', price: 149 },
  { id: 'P-2002', name: 'Down Vest', category: 'Outerwear', price: 99 },
  { id: 'P-3001', name: 'Merino T-Shirt', category: 'Tops', price: 45 },
  { id: 'P-3002', name: 'Linen Shirt', category: 'Tops', price: 65 },
  { id: 'P-3003', name: 'Hoodie', category: 'Tops', price: 79 },
  { id: 'P-4001', name: 'Chino Trousers', category: 'Bottoms', price: 85 },
  { id: 'P-4002', name: 'Running Shorts', category: 'Bottoms', price: 35 },
  { id: 'P-5001', name: 'Water Bottle', category: 'Accessories', price: 19 },
  { id: 'P-5002', name: 'Backpack', category: 'Accessories', price: 129 },
  { id: 'P-5003', name: 'Wool Beanie', category: 'Accessories', price: 25 },
  { id: 'P-5004', name: 'Sunglasses', category: 'Accessories', price: 155 },
];
const PRODUCT_WEIGHTS: Weighted<number> = PRODUCTS.map((_, i) => [i, 14 - i] as const);

function pick<T>(random: () => number, table: Weighted<T>): T {
  let total = 0;
  for (const [, weight] of table) total += weight;
  let roll = random() * total;
  for (const [value, weight] of table) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return table[table.length - 1][0];
}

interface SampleUser {
  id: string;
  firstDay: number;
  engagement: number;
  browser: string;
  os: string;
  country: string;
  state: string | undefined;
  utmSource: string | null;
  plan: string | undefined;
  signedUpAt: number | undefined;
}

/**
 * Yields the sample's lines in file order: users one after another, each user's events in time
 * order, with an occasional duplicate (same `$insert_id`) as real SDK retries produce.
 * Ends after exactly `events` lines; `summary` is filled in as lines are produced and `onProfile`
 * receives each signed-up user's profile.
 */
export function* sampleEventLines(options: SampleOptions = {}, summary?: SampleSummary, onProfile?: (profile: object) => void): Generator<string> {
  const target = options.events ?? DEFAULT_SAMPLE_EVENTS;
  const random = mulberry32(options.seed ?? DEFAULT_SAMPLE_SEED);
  const insertId = (): string =>
    Math.floor(random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0') +
    Math.floor(random() * 0xffffffff)
      .toString(16)
      .padStart(8, '0');
  let written = 0;
  for (let userNumber = 1; written < target; userNumber++) {
    const user = newUser(random, userNumber);
    if (summary) summary.users++;
    for (const event of userEvents(random, user)) {
      event.properties.$insert_id = insertId();
      const line = JSON.stringify(event);
      yield line;
      if (++written >= target) break;
      if (random() < 0.004) {
        if (summary) summary.duplicates++;
        yield line;
        if (++written >= target) break;
      }
    }
    if (summary) summary.events = written;
    if (user.signedUpAt !== undefined) {
      if (summary) summary.profiles++;
      onProfile?.(profileOf(user));
    }
  }
}

function newUser(random: () => number, userNumber: number): SampleUser {
  const browser = pick(random, BROWSERS);
  const country = pick(random, COUNTRIES);
  return {
    id: `user-${String(userNumber).padStart(6, '0')}`,
    // More users arrive later in the period: a growing shop.
    firstDay: Math.min(SAMPLE_DAYS - 1, Math.floor(SAMPLE_DAYS * Math.pow(random(), 0.8))),
    engagement: 0.5 + random() * 2.1,
    browser,
    os: pick(random, OS_BY_BROWSER[browser] ?? OS_BY_BROWSER.default),
    country,
    state: country === 'US' ? pick(random, STATES) : undefined,
    utmSource: pick(random, UTM_SOURCES),
    plan: undefined,
    signedUpAt: undefined,
  };
}

function userEvents(random: () => number, user: SampleUser): SampleEvent[] {
  const events: SampleEvent[] = [];
  for (let day = user.firstDay; day < SAMPLE_DAYS; day++) {
    const sinceFirst = day - user.firstDay;
    // Retention decays over the first weeks, leaving a small loyal base.
    const returnChance = sinceFirst === 0 ? 1 : Math.min(0.9, user.engagement * (0.3 * Math.exp(-sinceFirst / 10) + 0.035));
    if (random() >= returnChance) continue;
    session(random, user, day, sinceFirst === 0, events);
  }
  return events;
}

function session(random: () => number, user: SampleUser, day: number, isFirst: boolean, events: SampleEvent[]): void {
  // Shoppers are busiest in the (UTC) afternoon and evening.
  const hour = Math.min(23, Math.floor(8 + random() * 10 + random() * 6));
  let time = START_SECONDS + day * DAY_SECONDS + hour * 3600 + Math.floor(random() * 3600);
  const emit = (event: string, extra: Record<string, string | number> = {}): void => {
    if (time >= END_SECONDS) return;
    const properties: Record<string, string | number> = { time, distinct_id: user.id, $browser: user.browser, $os: user.os, mp_country_code: user.country };
    if (user.state !== undefined) properties.State = user.state;
    if (user.utmSource !== null) properties.utm_source = user.utmSource;
    events.push({ event, properties: { ...properties, ...extra } });
    time += 15 + Math.floor(random() * 240);
  };

  if (isFirst || random() < 0.7) emit('Landed on Homepage', { $current_url: 'https://shop.example.com/' });
  if (user.signedUpAt === undefined && random() < (isFirst ? 0.2 : 0.04)) {
    user.plan = pick(random, PLANS);
    user.signedUpAt = time;
    emit('Sign Up', { plan: user.plan });
    if (random() < 0.86) emit('Created Account', { plan: user.plan });
  }
  const views = random() < 0.82 ? 1 + Math.floor(-Math.log(1 - random()) * 1.3) : 0;
  const viewed: number[] = [];
  for (let i = 0; i < views; i++) {
    const index = pick(random, PRODUCT_WEIGHTS);
    const product = PRODUCTS[index];
    viewed.push(index);
    emit('Viewed Product', { product_id: product.id, product_name: product.name, category: product.category, price: product.price });
  }
  if (viewed.length === 0) return;
  const cartChance = user.signedUpAt !== undefined ? 0.42 : 0.22;
  if (random() >= cartChance) return;
  const product = PRODUCTS[viewed[Math.floor(random() * viewed.length)]];
  const quantity = random() < 0.8 ? 1 : 2 + Math.floor(random() * 2);
  emit('Added To Cart', { product_id: product.id, product_name: product.name, category: product.category, price: product.price, quantity });
  const purchaseChance = user.plan === 'premium' || user.plan === 'team' ? 0.62 : user.plan === 'free' ? 0.45 : 0.3;
  if (random() >= purchaseChance) return;
  const purchase: Record<string, string | number> = {
    product_id: product.id,
    category: product.category,
    price: product.price,
    quantity,
    revenue: Math.round(product.price * quantity * 100) / 100,
  };
  if (user.plan !== undefined) purchase.plan = user.plan;
  emit('Purchase', purchase);
}

function profileOf(user: SampleUser): object {
  const number = Number(user.id.slice(5));
  const properties: Record<string, string> = {
    $name: `Shopper ${number}`,
    $email: `shopper${number}@example.com`,
    plan: user.plan ?? 'free',
    $country_code: user.country,
    $browser: user.browser,
    signup_date: new Date(user.signedUpAt! * 1000).toISOString().slice(0, 19),
  };
  if (user.utmSource !== null) properties.utm_source = user.utmSource;
  return { $distinct_id: user.id, $properties: properties };
}

/**
 * Writes `<dir>/data/shop.ndjson.gz`, `<dir>/data/shop.people.ndjson` and
 * `<dir>/schema/shop.lexicon.json`. Files appear atomically (written aside, then renamed).
 */
export async function generateSample(dir: string, options: SampleOptions = {}): Promise<SampleSummary> {
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  await mkdir(join(dir, 'schema'), { recursive: true });
  const profiles: object[] = [];
  const summary: SampleSummary = { events: 0, duplicates: 0, users: 0, profiles: 0 };
  const eventsPath = join(dataDir, SAMPLE_DATA_FILE);
  const temporary = `${eventsPath}.${process.pid}.tmp`;
  const gzip = createGzip({ level: 6 });
  const file = createWriteStream(temporary);
  gzip.pipe(file);
  let batch: string[] = [];
  for (const line of sampleEventLines(options, summary, (profile) => profiles.push(profile))) {
    batch.push(line);
    if (batch.length >= 2000) {
      if (!gzip.write(batch.join('\n') + '\n')) await once(gzip, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) gzip.write(batch.join('\n') + '\n');
  gzip.end();
  await once(file, 'close');

  // The events file appears last: its presence is what says the sample is complete.
  const peoplePath = join(dataDir, SAMPLE_PEOPLE_FILE);
  await writeFile(`${peoplePath}.${process.pid}.tmp`, profiles.map((profile) => JSON.stringify(profile)).join('\n') + '\n');
  await rename(`${peoplePath}.${process.pid}.tmp`, peoplePath);
  await rename(temporary, eventsPath);
  const schemaPath = join(dir, 'schema', SAMPLE_SCHEMA_FILE);
  if (!existsSync(schemaPath)) await writeFile(schemaPath, JSON.stringify(sampleLexicon(), null, 2) + '\n');
  return summary;
}

const pending = new Map<string, Promise<void>>();

/** Writes the sample under `examplesDir` unless it is already there (the CLI and engine call this). */
export function ensureSampleData(examplesDir: string): Promise<void> {
  const dir = resolve(examplesDir);
  if (existsSync(join(dir, 'data', SAMPLE_DATA_FILE))) return Promise.resolve();
  let job = pending.get(dir);
  if (!job) {
    job = generateSample(dir)
      .then(() => undefined)
      .finally(() => pending.delete(dir));
    pending.set(dir, job);
  }
  return job;
}

type PropertyDoc = { type: 'string' | 'number' | 'integer'; description: string; examples?: Array<string | number>; format?: string };

const COMMON_PROPERTIES: Record<string, PropertyDoc> = {
  time: { type: 'integer', description: 'When the event happened (seconds since the epoch, UTC).' },
  distinct_id: { type: 'string', description: 'The user who did it.', examples: ['user-000042'] },
  $insert_id: { type: 'string', description: 'Unique id of the event; repeated ids are de-duplicated.' },
  $browser: { type: 'string', description: 'Browser the shopper used.', examples: ['Chrome', 'Safari', 'Firefox', 'Edge'] },
  $os: { type: 'string', description: 'Operating system.', examples: ['Windows', 'iOS', 'Android', 'Mac OS X'] },
  mp_country_code: { type: 'string', description: 'Two-letter country code from the IP address.', examples: ['US', 'GB', 'DE', 'IN'] },
  State: { type: 'string', description: 'US state, for shoppers in the United States.', examples: ['California', 'New York', 'Texas'] },
  utm_source: {
    type: 'string',
    description: 'Campaign source of the first visit; unset for direct traffic.',
    examples: ['google', 'facebook', 'newsletter', 'twitter'],
  },
};
const PRODUCT_PROPERTIES: Record<string, PropertyDoc> = {
  product_id: { type: 'string', description: 'Catalogue id of the product.', examples: ['P-1001', 'P-3001'] },
  product_name: { type: 'string', description: 'Product name as shown in the shop.', examples: ['Trail Running Shoes', 'Hoodie'] },
  category: { type: 'string', description: 'Product category.', examples: ['Shoes', 'Tops', 'Accessories', 'Outerwear', 'Bottoms'] },
  price: { type: 'number', description: 'Unit price in USD.', examples: [119, 45] },
};
const PLAN: Record<string, PropertyDoc> = {
  plan: { type: 'string', description: 'Membership plan chosen at sign-up.', examples: ['free', 'premium', 'team'] },
};

/** The Lexicon schema of the sample, in the shape of `GET /api/app/projects/{id}/schemas`. */
export function sampleLexicon(): object {
  const event = (name: string, description: string, tags: string[], properties: Record<string, PropertyDoc>): object => ({
    entityType: 'event',
    name,
    schemaJson: {
      $schema: 'http://json-schema.org/draft-07/schema',
      description,
      additionalProperties: true,
      metadata: { 'com.mixpanel': { tags, hidden: false, dropped: false } },
      properties: lexiconProperties({ ...COMMON_PROPERTIES, ...properties }),
    },
  });
  return {
    status: 'ok',
    results: [
      event('Landed on Homepage', 'A visit to the shop’s home page.', ['Acquisition'], {
        $current_url: { type: 'string', description: 'Page address.', examples: ['https://shop.example.com/'] },
      }),
      event('Viewed Product', 'A product page was opened.', ['Shopping'], PRODUCT_PROPERTIES),
      event('Sign Up', 'The shopper submitted the sign-up form.', ['Acquisition'], PLAN),
      event('Created Account', 'The account was confirmed and created.', ['Acquisition'], PLAN),
      event('Added To Cart', 'An item was put in the cart.', ['Shopping'], {
        ...PRODUCT_PROPERTIES,
        quantity: { type: 'integer', description: 'Items added.', examples: [1, 2] },
      }),
      // A purchase carries the product's id, category and price but not its name (see the generator above).
      event('Purchase', 'An order was paid.', ['Revenue'], {
        ...Object.fromEntries(Object.entries(PRODUCT_PROPERTIES).filter(([name]) => name !== 'product_name')),
        ...PLAN,
        quantity: { type: 'integer', description: 'Items bought.', examples: [1, 2] },
        revenue: { type: 'number', description: 'Order value in USD (price × quantity).', examples: [119, 90] },
      }),
      {
        entityType: 'profile',
        name: '$user',
        schemaJson: {
          $schema: 'http://json-schema.org/draft-07/schema',
          description: 'Shoppers who signed up.',
          properties: lexiconProperties({
            $name: { type: 'string', description: 'Display name.' },
            $email: { type: 'string', description: 'E-mail address.' },
            plan: PLAN.plan,
            $country_code: { type: 'string', description: 'Country at sign-up.', examples: ['US', 'GB'] },
            $browser: COMMON_PROPERTIES.$browser,
            utm_source: COMMON_PROPERTIES.utm_source,
            signup_date: { type: 'string', format: 'date-time', description: 'When the shopper signed up (UTC).' },
          }),
        },
      },
    ],
  };
}

function lexiconProperties(properties: Record<string, PropertyDoc>): Record<string, object> {
  const result: Record<string, object> = {};
  for (const [name, doc] of Object.entries(properties)) result[name] = { ...doc };
  return result;
}

function argValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const events = Number(argValue(args, '--events') ?? DEFAULT_SAMPLE_EVENTS);
  const seed = Number(argValue(args, '--seed') ?? DEFAULT_SAMPLE_SEED);
  const out = resolve(argValue(args, '--out') ?? 'examples');
  if (!Number.isInteger(events) || events <= 0) throw new Error(`--events must be a positive integer, not "${argValue(args, '--events')}"`);
  const summary = await generateSample(out, { events, seed });
  process.stdout.write(
    `wrote ${summary.events} events (${summary.duplicates} duplicates) from ${summary.users} users and ${summary.profiles} profiles under ${out}\n`,
  );
}

// Bundles (dist/cli.js) also contain this module, so "run directly" is decided by the script name.
if (/generateSample\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
