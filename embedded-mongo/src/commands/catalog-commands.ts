/**
 * Namespace commands: create, drop, dropDatabase, listCollections,
 * listDatabases and the minimal statistics commands.
 */
import { calculateObjectSize, type Document } from 'bson';
import { isPlainObject } from '../bson-values.ts';
import type { Collection } from '../collection.ts';
import { ErrorCode, fail } from '../errors.ts';
import { ID_INDEX } from '../index-spec.ts';
import { compileFilter } from '../mingo-engine.ts';
import { collectionArg, cursorReply, intArg, type CommandHandler } from './context.ts';

const UNSUPPORTED_CREATE_OPTIONS = ['viewOn', 'timeseries', 'clusteredIndex', 'encryptedFields'];

function dataSize(coll: Collection): number {
  let bytes = 0;
  for (const doc of coll.docs.values()) bytes += calculateObjectSize(doc);
  return bytes;
}

function collectionInfo(coll: Collection): Document {
  return {
    name: coll.name,
    type: 'collection',
    options: coll.options,
    info: { readOnly: false, uuid: coll.uuid },
    idIndex: { ...ID_INDEX },
  };
}

export const catalogCommands: Record<string, CommandHandler> = {
  create: (cmd, ctx) => {
    const name = collectionArg(cmd, 'create', ctx.db);
    const unsupported = UNSUPPORTED_CREATE_OPTIONS.find((o) => cmd[o] !== undefined);
    if (unsupported)
      fail(ErrorCode.BadValue, `'${unsupported}' collections are not supported by the embedded MongoDB server`);
    const options: Document = {};
    for (const [k, v] of Object.entries(cmd)) {
      if (
        k !== 'create' &&
        !k.startsWith('$') &&
        !['lsid', 'txnNumber', 'writeConcern', 'comment', 'apiVersion', 'apiStrict', 'apiDeprecationErrors'].includes(k)
      )
        options[k] = v;
    }
    ctx.catalog.createCollection(ctx.db, name, options);
    return {};
  },

  drop: (cmd, ctx) => {
    const name = collectionArg(cmd, 'drop', ctx.db);
    const coll = ctx.catalog.getCollection(ctx.db, name);
    // MongoDB ≥ 7.0 reports success for a missing collection.
    if (!coll) return {};
    const nIndexesWas = coll.indexSpecs().length;
    ctx.catalog.dropCollection(ctx.db, name);
    return { nIndexesWas, ns: coll.ns };
  },

  dropDatabase: (_cmd, ctx) => {
    ctx.catalog.dropDatabase(ctx.db);
    return { dropped: ctx.db };
  },

  listCollections: (cmd, ctx) => {
    const filter = cmd.filter === undefined ? undefined : cmd.filter;
    if (filter !== undefined && !isPlainObject(filter))
      fail(ErrorCode.TypeMismatch, '"filter" had the wrong type. Expected object');
    const test = compileFilter(filter);
    let infos = ctx.catalog.collections(ctx.db).map(collectionInfo).filter(test);
    if (cmd.nameOnly === true) infos = infos.map((i) => ({ name: i.name, type: i.type }));
    const batchSize = isPlainObject(cmd.cursor) ? intArg(cmd.cursor, 'batchSize') : undefined;
    const ns = `${ctx.db}.$cmd.listCollections`;
    const { id, batch } = ctx.cursors.open(ns, infos, batchSize);
    return cursorReply(id, ns, batch, true);
  },

  listDatabases: (cmd, ctx) => {
    if (ctx.db !== 'admin') fail(ErrorCode.Unauthorized, 'listDatabases may only be run against the admin database.');
    const filter = isPlainObject(cmd.filter) ? cmd.filter : undefined;
    let databases = [...ctx.catalog.databases.keys()].map((name) => {
      const size = ctx.catalog.collections(name).reduce((sum, c) => sum + (cmd.nameOnly ? 0 : dataSize(c)), 0);
      return { name, sizeOnDisk: size, empty: size === 0 };
    });
    databases = databases.filter(compileFilter(filter));
    if (cmd.nameOnly === true) return { databases: databases.map((d) => ({ name: d.name })) };
    return { databases, totalSize: databases.reduce((s, d) => s + d.sizeOnDisk, 0), totalSizeMb: 0 };
  },

  dbStats: (_cmd, ctx) => {
    const colls = ctx.catalog.collections(ctx.db);
    const objects = colls.reduce((s, c) => s + c.docs.size, 0);
    const size = colls.reduce((s, c) => s + dataSize(c), 0);
    return {
      db: ctx.db,
      collections: colls.length,
      views: 0,
      objects,
      avgObjSize: objects ? size / objects : 0,
      dataSize: size,
      storageSize: size,
      indexes: colls.reduce((s, c) => s + c.indexSpecs().length, 0),
      indexSize: 0,
      totalSize: size,
      scaleFactor: 1,
    };
  },

  collStats: (cmd, ctx) => {
    const name = collectionArg(cmd, 'collStats', ctx.db);
    const coll = ctx.catalog.getCollection(ctx.db, name);
    if (!coll) fail(ErrorCode.NamespaceNotFound, `Collection [${ctx.db}.${name}] not found.`);
    const size = dataSize(coll);
    return {
      ns: coll.ns,
      count: coll.docs.size,
      size,
      avgObjSize: coll.docs.size ? size / coll.docs.size : 0,
      storageSize: size,
      nindexes: coll.indexSpecs().length,
      indexSizes: Object.fromEntries(coll.indexSpecs().map((s) => [s.name, 0])),
      totalIndexSize: 0,
      capped: coll.options.capped === true,
    };
  },
};
