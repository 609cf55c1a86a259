// A Neo4j 5.26 Community image for a node without a registry (the official one cannot be
// pulled). It keeps the contract the kit's chart relies on: entrypoint
// /startup/docker-entrypoint.sh with the command `neo4j`, the password from NEO4J_AUTH_PATH,
// settings from NEO4J_* variables written into conf/neo4j.conf, data in /data, logs in /logs,
// uid 7474, a `cp` for the chart's init container. Where it differs is in the README.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sharedLibraries } from "./kube-app-images.js";
import { buildImageArchive, buildah, type ImageArchive } from "./kube-images.js";
import { installNeo4j, neo4jVersion } from "./neo4j.js";
import { createHash } from "node:crypto";
import { runCommand } from "./toolchain.js";

const imageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "neo4j-image");
const NEO4J_HOME = "/var/lib/neo4j";
const JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64";

const BASE_CONF = `# The image defaults; NEO4J_* variables add to and override them at start.
server.directories.data=/data
server.directories.logs=/logs
server.directories.import=/var/lib/neo4j/import
server.bolt.enabled=true
server.http.enabled=false
dbms.usage_report.enabled=false
`;

export async function buildNeo4jImage(): Promise<ImageArchive> {
  const classPath = await installNeo4j();
  const neo4jDir = path.dirname(classPath.split(path.delimiter)[0] as string);
  const version = await neo4jVersion();
  const fingerprint = createHash("sha256");
  for (const file of ["Neo4jImage.java", "docker-entrypoint.sh"])
    fingerprint.update(await readFile(path.join(imageDir, file)));
  fingerprint.update(BASE_CONF).update(neo4jDir);
  const tag = `${version}-community-${fingerprint.digest("hex").slice(0, 12)}`;
  return buildImageArchive(`neo4j-${tag}`, `localhost/mcp-bastion/neo4j:${tag}`, async (container, scratch) => {
    // A Java runtime of just the JDK's modules, and the C libraries it loads.
    const jre = path.join(scratch, "jre");
    await runCommand(path.join(JAVA_HOME, "bin", "jlink"), [
      "--add-modules",
      "ALL-MODULE-PATH",
      "--strip-debug",
      "--no-header-files",
      "--no-man-pages",
      "--output",
      jre,
    ]);
    const { stdout } = await runCommand("find", [jre, "-name", "*.so"]);
    const libraries = await sharedLibraries([path.join(jre, "bin", "java"), ...stdout.split("\n").filter(Boolean)]);
    for (const { source, target } of libraries.filter(({ target }) => !target.startsWith(jre)))
      await buildah(["copy", container, source, target]);
    await buildah(["copy", container, jre, "/opt/java"]);
    const classes = path.join(scratch, "classes");
    await runCommand("javac", [
      "--release",
      "17",
      "-d",
      classes,
      "-cp",
      path.join(neo4jDir, "lib", "*"),
      path.join(imageDir, "Neo4jImage.java"),
    ]);
    await buildah(["copy", container, path.join(neo4jDir, "lib"), `${NEO4J_HOME}/lib`]);
    await buildah(["copy", container, classes, `${NEO4J_HOME}/classes`]);
    await buildah(["copy", "--chmod", "0755", container, "/bin/busybox", "/bin/busybox"]);
    await buildah([
      "copy",
      "--chmod",
      "0555",
      container,
      path.join(imageDir, "docker-entrypoint.sh"),
      "/startup/docker-entrypoint.sh",
    ]);
    await writeFile(path.join(scratch, "neo4j.conf"), BASE_CONF);
    await buildah([
      "copy",
      "--chmod",
      "0644",
      container,
      path.join(scratch, "neo4j.conf"),
      `${NEO4J_HOME}/conf/neo4j.conf`,
    ]);
    const run = (script: string) =>
      buildah(["run", "--isolation", "chroot", container, "--", "/bin/busybox", "sh", "-c", script]);
    await run(
      "/bin/busybox --install -s /bin && mkdir -p /usr/bin /tmp && ln -s /bin/env /usr/bin/env && chmod 1777 /tmp",
    );
    await run(
      `mkdir -p ${NEO4J_HOME}/conf ${NEO4J_HOME}/run ${NEO4J_HOME}/import /data /logs` +
        " && echo 'root:x:0:0:root:/root:/sbin/nologin' > /etc/passwd && echo 'neo4j:x:7474:7474:neo4j:/var/lib/neo4j:/sbin/nologin' >> /etc/passwd" +
        " && echo 'root:x:0:' > /etc/group && echo 'neo4j:x:7474:' >> /etc/group" +
        ` && chown -R 7474:7474 ${NEO4J_HOME}/conf ${NEO4J_HOME}/run /data /logs`,
    );
    await buildah([
      "config",
      "--entrypoint",
      '["/startup/docker-entrypoint.sh"]',
      "--cmd",
      "neo4j",
      "--user",
      "7474:7474",
      "--workingdir",
      NEO4J_HOME,
      "--env",
      `NEO4J_HOME=${NEO4J_HOME}`,
      "--env",
      "PATH=/opt/java/bin:/bin",
      "--env",
      "JAVA_HOME=/opt/java",
      "--volume",
      "/data",
      "--volume",
      "/logs",
      "--port",
      "7687",
      container,
    ]);
  });
}
