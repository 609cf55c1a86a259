// The contract every GraphStore keeps, run against Neo4j (neo4j-stores.test.ts) and memory
// (fast/memory-stores.test.ts): each operation within one tenant, in name order, no duplicates.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { GraphStore } from "../../src/store/graph-store.js";
import { uniqueSub } from "./client.js";

const entity = (name: string, entityType = "person", observations: string[] = []) => ({
  name,
  entityType,
  observations,
});

export function graphStoreContract(name: string, store: () => GraphStore): void {
  describe(`${name}: the graph store contract`, () => {
    test("entities and relations are created once; relations only between entities of the tenant", async () => {
      const tenant = uniqueSub("tenant");
      const created = await store().createEntities(tenant, [entity("ada", "person", ["wrote notes"]), entity("bob")]);
      assert.deepEqual(
        created.map((e) => e.name),
        ["ada", "bob"],
      );
      assert.deepEqual(await store().createEntities(tenant, [entity("ada", "robot"), entity("cy")]), [entity("cy")]);
      const relations = await store().createRelations(tenant, [
        { from: "ada", to: "bob", relationType: "knows" },
        { from: "ada", to: "nobody", relationType: "knows" },
      ]);
      assert.deepEqual(relations, [{ from: "ada", to: "bob", relationType: "knows" }]);
      assert.deepEqual(await store().createRelations(tenant, [{ from: "ada", to: "bob", relationType: "knows" }]), []);
      const opened = await store().openNodes(tenant, ["ada", "bob", "nobody"]);
      assert.deepEqual(opened, {
        entities: [entity("ada", "person", ["wrote notes"]), entity("bob")],
        relations: [{ from: "ada", to: "bob", relationType: "knows" }],
      });
    });

    test("another tenant sees and changes nothing of this one", async () => {
      const tenant = uniqueSub("mine");
      const other = uniqueSub("theirs");
      await store().createEntities(tenant, [entity("secret", "doc", ["classified"])]);
      assert.deepEqual(await store().openNodes(other, ["secret"]), { entities: [], relations: [] });
      assert.deepEqual((await store().searchNodes(other, "classified", 10)).entities, []);
      assert.equal(await store().deleteEntities(other, ["secret"]), 0);
      assert.deepEqual(await store().addObservations(other, [{ entityName: "secret", contents: ["leak"] }]), []);
      assert.deepEqual((await store().openNodes(tenant, ["secret"])).entities, [
        entity("secret", "doc", ["classified"]),
      ]);
    });

    test("observations are added when new and removed by value", async () => {
      const tenant = uniqueSub("observed");
      await store().createEntities(tenant, [entity("ada", "person", ["one"])]);
      assert.deepEqual(
        await store().addObservations(tenant, [
          { entityName: "ada", contents: ["one", "two"] },
          { entityName: "nobody", contents: ["x"] },
        ]),
        [{ entityName: "ada", added: ["two"] }],
      );
      assert.equal(await store().deleteObservations(tenant, [{ entityName: "ada", observations: ["one"] }]), 1);
      assert.deepEqual((await store().openNodes(tenant, ["ada"])).entities, [entity("ada", "person", ["two"])]);
    });

    test("search matches name, type or an observation, case-insensitively, in name order, within the limit", async () => {
      const tenant = uniqueSub("searched");
      await store().createEntities(tenant, [
        entity("zed", "Person"),
        entity("amy", "robot", ["likes PERSONAL projects"]),
        entity("personA", "robot"),
        entity("other", "robot"),
      ]);
      await store().createRelations(tenant, [
        { from: "amy", to: "zed", relationType: "knows" },
        { from: "amy", to: "other", relationType: "knows" },
      ]);
      const found = await store().searchNodes(tenant, "PERSON", 10);
      assert.deepEqual(
        found.entities.map((e) => e.name),
        ["amy", "personA", "zed"],
      );
      assert.deepEqual(
        found.relations,
        [{ from: "amy", to: "zed", relationType: "knows" }],
        "only relations among them",
      );
      assert.equal((await store().searchNodes(tenant, "person", 2)).entities.length, 2);
    });

    test("the graph reads in pages by name; a page's relations are those leaving its entities", async () => {
      const tenant = uniqueSub("paged");
      await store().createEntities(
        tenant,
        ["a", "b", "c"].map((n) => entity(n)),
      );
      await store().createRelations(tenant, [
        { from: "a", to: "c", relationType: "next" },
        { from: "c", to: "a", relationType: "back" },
      ]);
      const first = await store().readGraph(tenant, undefined, 2);
      assert.deepEqual(
        first.entities.map((e) => e.name),
        ["a", "b"],
      );
      assert.deepEqual(first.relations, [{ from: "a", to: "c", relationType: "next" }]);
      assert.equal(first.nextCursor, "b");
      const last = await store().readGraph(tenant, first.nextCursor, 2);
      assert.deepEqual(
        last.entities.map((e) => e.name),
        ["c"],
      );
      assert.deepEqual(last.relations, [{ from: "c", to: "a", relationType: "back" }]);
      assert.equal(last.nextCursor, undefined);
    });

    test("deleting a relation or an entity: an entity takes its relations with it", async () => {
      const tenant = uniqueSub("deleted");
      await store().createEntities(
        tenant,
        ["a", "b", "c"].map((n) => entity(n)),
      );
      await store().createRelations(tenant, [
        { from: "a", to: "b", relationType: "knows" },
        { from: "b", to: "c", relationType: "knows" },
      ]);
      assert.equal(await store().deleteRelations(tenant, [{ from: "a", to: "b", relationType: "knows" }]), 1);
      assert.equal(await store().deleteRelations(tenant, [{ from: "a", to: "b", relationType: "knows" }]), 0);
      assert.equal(await store().deleteEntities(tenant, ["b", "nobody"]), 1);
      const left = await store().readGraph(tenant, undefined, 10);
      assert.deepEqual(
        left.entities.map((e) => e.name),
        ["a", "c"],
      );
      assert.deepEqual(left.relations, []);
    });
  });
}
