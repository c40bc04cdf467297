// Parses every .tf of deploy/terraform with @cdktf/hcl2json (HCL2 -> JSON)
// and checks the rules of issue 16 on the result: every variable has a
// description and a type, no variable holds the database password (RDS keeps
// it in Secrets Manager), the resources the deployment needs are there.
// usage: node validate_terraform.js NODE_MODULES_DIR TF_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const [nodeModules, dir] = process.argv.slice(2).map((p) => path.resolve(p));
const { parse } = require(path.join(nodeModules, '@cdktf/hcl2json'));

(async () => {
  let errors = 0;
  const fail = (m) => { errors++; console.error(`FAIL ${m}`); };
  const resources = {}, variables = {};
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  for (const f of files) {
    let json;
    try { json = await parse(f, fs.readFileSync(path.join(dir, f), 'utf8')); } catch (e) { fail(`${f}: ${e.message || e}`); continue; }
    for (const [type, byName] of Object.entries(json.resource || {})) {
      for (const [name, body] of Object.entries(byName)) resources[`${type}.${name}`] = body[0];
    }
    for (const [name, body] of Object.entries(json.variable || {})) variables[name] = body[0];
  }
  for (const [name, v] of Object.entries(variables)) {
    if (!v.description) fail(`variable ${name} has no description`);
    if (!v.type) fail(`variable ${name} has no type`);
    if (/password|secret/i.test(name)) fail(`variable ${name}: secrets belong in Secrets Manager, not in variables`);
  }
  const need = ['aws_vpc.main', 'aws_subnet.private', 'aws_rds_cluster.main', 'aws_rds_cluster_instance.reader',
    'aws_ecs_service.api', 'aws_ecs_service.worker', 'aws_lb_target_group.api', 'aws_ecr_repository.sluice',
    'aws_appautoscaling_policy.api_cpu', 'aws_appautoscaling_policy.worker_cpu',
    'aws_appautoscaling_policy.worker_queue_depth', 'aws_cloudwatch_log_group.sluice', 'aws_iam_role.task'];
  for (const r of need) if (!resources[r]) fail(`no resource ${r}`);
  const db = resources['aws_rds_cluster.main'];
  if (db) {
    if (db.manage_master_user_password !== true) fail('aws_rds_cluster.main: manage_master_user_password must be true');
    if ('master_password' in db) fail('aws_rds_cluster.main: master_password set in the configuration');
    if (!db.serverlessv2_scaling_configuration) fail('aws_rds_cluster.main: not Serverless v2');
  }
  const hc = resources['aws_lb_target_group.api'] && resources['aws_lb_target_group.api'].health_check;
  if (!hc || !JSON.stringify(hc).includes('/readyz')) fail('aws_lb_target_group.api: health check not on /readyz');
  console.log(`terraform: ${files.length} files parsed, ${Object.keys(resources).length} resources, ${Object.keys(variables).length} variables, ${errors} errors`);
  process.exit(errors ? 1 : 0);
})();
