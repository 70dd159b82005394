/**
 * Draws the workbench's PNG icons (a key on a teal tile) into public/icons/, with no image
 * library: pixels are computed from shape distances and written as an RGBA PNG through zlib.
 * Run with `npx tsx scripts/app-icons.ts`; the output is committed.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import path from 'node:path';

const TEAL = [0x1f, 0x4e, 0x5f];
const WHITE = [0xff, 0xff, 0xff];

// Every PNG chunk ends in a CRC-32 over its type and data (PNG specification, section 5.3).
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(size: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0; // filter type None
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(rows, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Coverage of the key glyph at (x, y) in unit coordinates: a ring (the bow) and a bit with two teeth. */
function insideKey(x: number, y: number, scale: number): boolean {
  const s = (v: number) => 0.5 + (v - 0.5) * scale;
  const cx = s(0.36), cy = s(0.5), outer = 0.17 * scale, inner = 0.085 * scale;
  const d = Math.hypot(x - cx, y - cy);
  if (d <= outer && d >= inner) return true;
  const shaftTop = s(0.465), shaftBottom = s(0.535);
  if (x >= cx + outer * 0.9 && x <= s(0.8) && y >= shaftTop && y <= shaftBottom) return true;
  if (x >= s(0.66) && x <= s(0.71) && y >= shaftBottom && y <= s(0.63)) return true;
  if (x >= s(0.74) && x <= s(0.8) && y >= shaftBottom && y <= s(0.6)) return true;
  return false;
}

function insideTile(x: number, y: number, maskable: boolean): boolean {
  if (maskable) return true;
  const radius = 0.2, margin = 0.04;
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - margin - radius), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - margin - radius), 0);
  return Math.hypot(qx, qy) <= radius;
}

function drawIcon(size: number, maskable: boolean): Buffer {
  const rgba = new Uint8Array(size * size * 4);
  const samples = 4; // 4x4 supersampling for smooth edges
  // A maskable icon keeps its glyph inside the central 80% safe zone.
  const scale = maskable ? 0.8 : 1;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let tile = 0, key = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          if (insideTile(x, y, maskable)) {
            tile++;
            if (insideKey(x, y, scale)) key++;
          }
        }
      }
      const total = samples * samples;
      const keyShare = tile === 0 ? 0 : key / tile;
      const offset = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) rgba[offset + c] = Math.round(TEAL[c]! * (1 - keyShare) + WHITE[c]! * keyShare);
      rgba[offset + 3] = Math.round((tile / total) * 255);
    }
  }
  return encodePng(size, rgba);
}

const outDir = path.resolve(import.meta.dirname, '../public/icons');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'icon-192.png'), drawIcon(192, false));
writeFileSync(path.join(outDir, 'icon-512.png'), drawIcon(512, false));
writeFileSync(path.join(outDir, 'icon-maskable-512.png'), drawIcon(512, true));
