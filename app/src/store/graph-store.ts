// The knowledge graph, one tenant at a time: every query is bound to the caller's tenant, so no
// tool can read or change another tenant's entities. Relation types are data (a property),
// never spliced into Cypher.
import type { Driver } from "neo4j-driver";

export interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}

export interface Relation {
  from: string;
  to: string;
  relationType: string;
}

export interface GraphPage {
  entities: Entity[];
  relations: Relation[];
  /** Pass back to read the next page; absent on the last one. */
  nextCursor?: string;
}

const ENTITY = "e {.name, .entityType, .observations}";

/**
 * The knowledge graph's operations, each within one tenant: Neo4j in a deployment
 * (Neo4jGraphStore), memory for one process (MemoryGraphStore).
 */
export interface GraphStore {
  /** Creates the entities whose names are new in the tenant; returns those created. */
  createEntities(tenant: string, entities: Entity[]): Promise<Entity[]>;
  /** Creates relations between existing entities of the tenant; returns those created. */
  createRelations(tenant: string, relations: Relation[]): Promise<Relation[]>;
  /** Adds observations not already present; returns what was added per entity found. */
  addObservations(
    tenant: string,
    additions: Array<{ entityName: string; contents: string[] }>,
  ): Promise<Array<{ entityName: string; added: string[] }>>;
  /** Deletes the named entities and their relations; returns how many entities. */
  deleteEntities(tenant: string, names: string[]): Promise<number>;
  /** Removes the observations; returns how many entities were found. */
  deleteObservations(tenant: string, deletions: Array<{ entityName: string; observations: string[] }>): Promise<number>;
  deleteRelations(tenant: string, relations: Relation[]): Promise<number>;
  /** Entities whose name, type or an observation contains the text (case-insensitive), by name. */
  searchNodes(tenant: string, text: string, limit: number): Promise<{ entities: Entity[]; relations: Relation[] }>;
  openNodes(tenant: string, names: string[]): Promise<{ entities: Entity[]; relations: Relation[] }>;
  /** One page of the tenant's graph, in name order; relations leave the page's entities. */
  readGraph(tenant: string, cursor: string | undefined, limit: number): Promise<GraphPage>;
}

export class Neo4jGraphStore implements GraphStore {
  constructor(
    private readonly driver: Driver,
    private readonly database: string,
  ) {}

  private async run<T>(
    query: string,
    params: Record<string, unknown>,
    mode: "READ" | "WRITE",
    pick: (row: { get(key: string): unknown }) => T,
  ): Promise<T[]> {
    const { records } = await this.driver.executeQuery(query, params, { database: this.database, routing: mode });
    return records.map((record) => pick(record));
  }

  /** Creates the entities whose names are new in the tenant; returns those created. */
  async createEntities(tenant: string, entities: Entity[]): Promise<Entity[]> {
    return this.run(
      `UNWIND $entities AS input
       OPTIONAL MATCH (existing:Entity {tenant: $tenant, name: input.name})
       WITH input WHERE existing IS NULL
       CREATE (e:Entity {tenant: $tenant, name: input.name, entityType: input.entityType, observations: input.observations})
       RETURN ${ENTITY} AS entity`,
      { tenant, entities },
      "WRITE",
      (row) => row.get("entity") as Entity,
    );
  }

  /** Creates relations between existing entities of the tenant; returns those created. */
  async createRelations(tenant: string, relations: Relation[]): Promise<Relation[]> {
    return this.run(
      `UNWIND $relations AS input
       MATCH (a:Entity {tenant: $tenant, name: input.from}), (b:Entity {tenant: $tenant, name: input.to})
       OPTIONAL MATCH (a)-[existing:RELATES {type: input.relationType}]->(b)
       WITH a, b, input WHERE existing IS NULL
       CREATE (a)-[:RELATES {type: input.relationType, tenant: $tenant}]->(b)
       RETURN input {.from, .to, .relationType} AS relation`,
      { tenant, relations },
      "WRITE",
      (row) => row.get("relation") as Relation,
    );
  }

  /** Adds observations not already present; returns what was added per entity found. */
  async addObservations(
    tenant: string,
    additions: Array<{ entityName: string; contents: string[] }>,
  ): Promise<Array<{ entityName: string; added: string[] }>> {
    return this.run(
      `UNWIND $additions AS input
       MATCH (e:Entity {tenant: $tenant, name: input.entityName})
       WITH e, input, [c IN input.contents WHERE NOT c IN e.observations] AS fresh
       SET e.observations = e.observations + fresh
       RETURN input.entityName AS entityName, fresh AS added`,
      { tenant, additions },
      "WRITE",
      (row) => ({ entityName: row.get("entityName") as string, added: row.get("added") as string[] }),
    );
  }

  async deleteEntities(tenant: string, names: string[]): Promise<number> {
    const [deleted] = await this.run(
      `UNWIND $names AS name
       MATCH (e:Entity {tenant: $tenant, name: name})
       DETACH DELETE e
       RETURN count(*) AS deleted`,
      { tenant, names },
      "WRITE",
      (row) => row.get("deleted") as number,
    );
    return deleted ?? 0;
  }

  async deleteObservations(
    tenant: string,
    deletions: Array<{ entityName: string; observations: string[] }>,
  ): Promise<number> {
    const [changed] = await this.run(
      `UNWIND $deletions AS input
       MATCH (e:Entity {tenant: $tenant, name: input.entityName})
       SET e.observations = [o IN e.observations WHERE NOT o IN input.observations]
       RETURN count(e) AS changed`,
      { tenant, deletions },
      "WRITE",
      (row) => row.get("changed") as number,
    );
    return changed ?? 0;
  }

  async deleteRelations(tenant: string, relations: Relation[]): Promise<number> {
    const [deleted] = await this.run(
      `UNWIND $relations AS input
       MATCH (:Entity {tenant: $tenant, name: input.from})-[r:RELATES {type: input.relationType, tenant: $tenant}]->(:Entity {tenant: $tenant, name: input.to})
       DELETE r
       RETURN count(*) AS deleted`,
      { tenant, relations },
      "WRITE",
      (row) => row.get("deleted") as number,
    );
    return deleted ?? 0;
  }

  /** Entities whose name, type or an observation contains the text (case-insensitive). */
  async searchNodes(
    tenant: string,
    text: string,
    limit: number,
  ): Promise<{ entities: Entity[]; relations: Relation[] }> {
    const entities = await this.run(
      `MATCH (e:Entity {tenant: $tenant})
       WHERE toLower(e.name) CONTAINS $text OR toLower(e.entityType) CONTAINS $text
          OR any(o IN e.observations WHERE toLower(o) CONTAINS $text)
       RETURN ${ENTITY} AS entity ORDER BY e.name LIMIT toInteger($limit)`,
      { tenant, text: text.toLowerCase(), limit },
      "READ",
      (row) => row.get("entity") as Entity,
    );
    return {
      entities,
      relations: await this.relationsAmong(
        tenant,
        entities.map((entity) => entity.name),
      ),
    };
  }

  async openNodes(tenant: string, names: string[]): Promise<{ entities: Entity[]; relations: Relation[] }> {
    const entities = await this.run(
      `MATCH (e:Entity {tenant: $tenant}) WHERE e.name IN $names RETURN ${ENTITY} AS entity ORDER BY e.name`,
      { tenant, names },
      "READ",
      (row) => row.get("entity") as Entity,
    );
    return {
      entities,
      relations: await this.relationsAmong(
        tenant,
        entities.map((entity) => entity.name),
      ),
    };
  }

  /** One page of the tenant's graph, in name order; relations leave the page's entities. */
  async readGraph(tenant: string, cursor: string | undefined, limit: number): Promise<GraphPage> {
    const entities = await this.run(
      `MATCH (e:Entity {tenant: $tenant}) WHERE $cursor IS NULL OR e.name > $cursor
       RETURN ${ENTITY} AS entity ORDER BY e.name LIMIT toInteger($limit)`,
      { tenant, cursor: cursor ?? null, limit: limit + 1 },
      "READ",
      (row) => row.get("entity") as Entity,
    );
    const page = entities.slice(0, limit);
    const relations = await this.run(
      `MATCH (a:Entity {tenant: $tenant})-[r:RELATES {tenant: $tenant}]->(b:Entity {tenant: $tenant}) WHERE a.name IN $names
       RETURN {from: a.name, to: b.name, relationType: r.type} AS relation ORDER BY a.name, b.name, r.type`,
      { tenant, names: page.map((entity) => entity.name) },
      "READ",
      (row) => row.get("relation") as Relation,
    );
    const last = page.at(-1);
    return { entities: page, relations, ...(entities.length > limit && last ? { nextCursor: last.name } : {}) };
  }

  private relationsAmong(tenant: string, names: string[]): Promise<Relation[]> {
    return this.run(
      `MATCH (a:Entity {tenant: $tenant})-[r:RELATES {tenant: $tenant}]->(b:Entity {tenant: $tenant})
       WHERE a.name IN $names AND b.name IN $names
       RETURN {from: a.name, to: b.name, relationType: r.type} AS relation ORDER BY a.name, b.name, r.type`,
      { tenant, names },
      "READ",
      (row) => row.get("relation") as Relation,
    );
  }
}
