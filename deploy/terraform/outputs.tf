output "api_url" {
  description = "The ALB's address: the Sluice API."
  value       = "${var.certificate_arn == "" ? "http" : "https"}://${aws_lb.api.dns_name}"
}

output "ecr_repository_url" {
  description = "Where release.yml pushes the image."
  value       = aws_ecr_repository.sluice.repository_url
}

output "ecs_cluster" {
  description = "ECS cluster name (release.yml deploys to it)."
  value       = aws_ecs_cluster.main.name
}

output "ecs_services" {
  description = "The api and worker ECS service names."
  value       = { api = aws_ecs_service.api.name, worker = aws_ecs_service.worker.name }
}

output "migrate_task_definition" {
  description = "Task definition family of `sluice migrate` (run once per release, before the services roll)."
  value       = aws_ecs_task_definition.sluice["migrate"].family
}

output "database_writer_endpoint" {
  description = "Aurora writer endpoint (store.url)."
  value       = aws_rds_cluster.main.endpoint
}

output "database_reader_endpoint" {
  description = "Aurora reader endpoint (store.read_url)."
  value       = aws_rds_cluster.main.reader_endpoint
}

output "database_secret_arn" {
  description = "Secrets Manager secret holding the master password (managed by RDS)."
  value       = aws_rds_cluster.main.master_user_secret[0].secret_arn
}

output "private_subnet_ids" {
  description = "Private subnets of the tasks (release.yml runs the migrate task there)."
  value       = aws_subnet.private[*].id
}

output "task_security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}
