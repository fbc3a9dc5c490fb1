/*
 * Parsed operations shared by text. A subscription keeps its document for as long as it is open, and
 * 5,000 schools subscribing with the same operation would otherwise hold 5,000 copies of one syntax
 * tree (about 7 KB each, measured with a heap snapshot of bench/subscriptions.ts). graphql-js never
 * changes a document it is given, so one copy serves them all.
 */
import { parse, type DocumentNode, type ParseOptions } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * A parser that keeps the last `size` distinct texts it parsed (least recently used first out).
 * A text that fails to parse throws every time and is not kept.
 */
export function sharedParser(options: ParseOptions = {}, size = 1000): (text: string) => DocumentNode {
  const documents = new LRUCache<string, DocumentNode>({ max: size });
  return (text) => {
    let document = documents.get(text);
    if (!document) documents.set(text, (document = parse(text, options)));
    return document;
  };
}
