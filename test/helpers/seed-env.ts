/**
 * The `.env` keys seed 001 (371GPT on OVH) lists, in its order: the 371gpt-ovh blueprint's
 * bundle must hold exactly these, whether planned directly or served over HTTP.
 */
export const SEED_001_ENV = [
  'DB_HOST',
  'DB_PORT',
  'DB_NAME',
  'DB_USER',
  'DB_PASSWORD',
  'STORAGE_ENDPOINT',
  'STORAGE_ACCESS_KEY',
  'STORAGE_SECRET_KEY',
  'STORAGE_BUCKET',
  'XPIPE_HOST',
  'XPIPE_PORT',
];
