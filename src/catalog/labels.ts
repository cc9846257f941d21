// Class labels for the label sets models record. ImageNet: the public-domain short names
// (anishathalye/imagenet-simple-labels, shipped in media/labels); VOC: the 20 PASCAL VOC classes + background.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabelSet } from '../domain/types';

export const VOC_CLASSES = [
  'background',
  'aeroplane',
  'bicycle',
  'bird',
  'boat',
  'bottle',
  'bus',
  'car',
  'cat',
  'chair',
  'cow',
  'diningtable',
  'dog',
  'horse',
  'motorbike',
  'person',
  'pottedplant',
  'sheep',
  'sofa',
  'train',
  'tvmonitor',
];

const cache = new Map<string, string[]>();

function mediaFile(name: string): string {
  const candidates = [
    path.join(__dirname, '..', 'media', 'labels', name),
    path.join(__dirname, '..', '..', 'media', 'labels', name),
  ];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`label file ${name} not found next to ${__dirname}`);
  return found;
}

/** Labels indexed by class id; empty for 'none'; a trained classifier's class names as they are. */
export function labelsFor(set: LabelSet): string[] {
  if (Array.isArray(set)) return set;
  const hit = cache.get(set);
  if (hit) return hit;
  let labels: string[];
  switch (set) {
    case 'imagenet-1000':
      labels = JSON.parse(fs.readFileSync(mediaFile('imagenet-simple-labels.json'), 'utf8'));
      break;
    case 'imagenet-1001':
      labels = ['background', ...labelsFor('imagenet-1000')];
      break;
    case 'voc-21':
      labels = VOC_CLASSES;
      break;
    default:
      labels = [];
  }
  cache.set(set, labels);
  return labels;
}

/** A label set for display: its name, or a trained classifier's class names. */
export function labelSetText(set: LabelSet): string {
  return Array.isArray(set) ? `${set.length} classes: ${set.join(', ')}` : set;
}
