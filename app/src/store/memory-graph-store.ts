// The knowledge graph of one process, in memory: the same operations as Neo4jGraphStore, each
// bound to the caller's tenant, for a single-process development server and the fast test tier.
// Nothing survives the process; a deployment keeps its graph in Neo4j.
import type { Entity, GraphPage, GraphStore, Relation } from "./graph-store.js";

interface Tenant {
  entities: Map<string, Entity>;
  /** Relations keyed by from, to and type: one of each, as in Neo4j. */
  relations: Map<string, Relation>;
}

const relationKey = (relation: Relation) => JSON.stringify([relation.from, relation.to, relation.relationType]);
const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: Entity, b: Entity) => order(a.name, b.name);
// As Neo4j orders them: by from, then to, then type.
const byEnds = (a: Relation, b: Relation) =>
  order(a.from, b.from) || order(a.to, b.to) || order(a.relationType, b.relationType);
const copy = (entity: Entity): Entity => ({ ...entity, observations: [...entity.observations] });

export class MemoryGraphStore implements GraphStore {
  private readonly tenants = new Map<string, Tenant>();

  private tenant(name: string): Tenant {
    let tenant = this.tenants.get(name);
    if (!tenant) {
      tenant = { entities: new Map(), relations: new Map() };
      this.tenants.set(name, tenant);
    }
    return tenant;
  }

  async createEntities(tenant: string, entities: Entity[]): Promise<Entity[]> {
    const graph = this.tenant(tenant);
    const created: Entity[] = [];
    for (const entity of entities) {
      if (graph.entities.has(entity.name)) continue;
      graph.entities.set(entity.name, copy(entity));
      created.push(copy(entity));
    }
    return created;
  }

  async createRelations(tenant: string, relations: Relation[]): Promise<Relation[]> {
    const graph = this.tenant(tenant);
    const created: Relation[] = [];
    for (const relation of relations) {
      const key = relationKey(relation);
      if (!graph.entities.has(relation.from) || !graph.entities.has(relation.to) || graph.relations.has(key)) continue;
      const kept = { from: relation.from, to: relation.to, relationType: relation.relationType };
      graph.relations.set(key, kept);
      created.push({ ...kept });
    }
    return created;
  }

  async addObservations(
    tenant: string,
    additions: Array<{ entityName: string; contents: string[] }>,
  ): Promise<Array<{ entityName: string; added: string[] }>> {
    const graph = this.tenant(tenant);
    const results: Array<{ entityName: string; added: string[] }> = [];
    for (const { entityName, contents } of additions) {
      const entity = graph.entities.get(entityName);
      if (!entity) continue;
      const fresh = contents.filter((content) => !entity.observations.includes(content));
      entity.observations.push(...fresh);
      results.push({ entityName, added: fresh });
    }
    return results;
  }

  async deleteEntities(tenant: string, names: string[]): Promise<number> {
    const graph = this.tenant(tenant);
    let deleted = 0;
    for (const name of names) {
      if (!graph.entities.delete(name)) continue;
      deleted += 1;
      for (const [key, relation] of graph.relations)
        if (relation.from === name || relation.to === name) graph.relations.delete(key);
    }
    return deleted;
  }

  async deleteObservations(
    tenant: string,
    deletions: Array<{ entityName: string; observations: string[] }>,
  ): Promise<number> {
    const graph = this.tenant(tenant);
    let changed = 0;
    for (const { entityName, observations } of deletions) {
      const entity = graph.entities.get(entityName);
      if (!entity) continue;
      entity.observations = entity.observations.filter((observation) => !observations.includes(observation));
      changed += 1;
    }
    return changed;
  }

  async deleteRelations(tenant: string, relations: Relation[]): Promise<number> {
    const graph = this.tenant(tenant);
    return relations.filter((relation) => graph.relations.delete(relationKey(relation))).length;
  }

  async searchNodes(tenant: string, text: string, limit: number) {
    const needle = text.toLowerCase();
    const entities = [...this.tenant(tenant).entities.values()]
      .filter(
        (entity) =>
          entity.name.toLowerCase().includes(needle) ||
          entity.entityType.toLowerCase().includes(needle) ||
          entity.observations.some((observation) => observation.toLowerCase().includes(needle)),
      )
      .sort(byName)
      .slice(0, limit);
    return this.withRelations(tenant, entities, "among");
  }

  async openNodes(tenant: string, names: string[]) {
    const graph = this.tenant(tenant);
    const entities = names
      .flatMap((name) => graph.entities.get(name) ?? [])
      .filter((entity, index, all) => all.indexOf(entity) === index)
      .sort(byName);
    return this.withRelations(tenant, entities, "among");
  }

  async readGraph(tenant: string, cursor: string | undefined, limit: number): Promise<GraphPage> {
    const after = [...this.tenant(tenant).entities.values()]
      .filter((entity) => cursor === undefined || entity.name > cursor)
      .sort(byName);
    const page = after.slice(0, limit);
    const last = page.at(-1);
    return {
      ...this.withRelations(tenant, page, "leaving"),
      ...(after.length > limit && last ? { nextCursor: last.name } : {}),
    };
  }

  /** The entities (copied) with the relations among them, or all those leaving them. */
  private withRelations(tenant: string, entities: Entity[], which: "among" | "leaving") {
    const names = new Set(entities.map((entity) => entity.name));
    const relations = [...this.tenant(tenant).relations.values()]
      .filter((relation) => names.has(relation.from) && (which === "leaving" || names.has(relation.to)))
      .sort(byEnds)
      .map((relation) => ({ ...relation }));
    return { entities: entities.map(copy), relations };
  }
}
