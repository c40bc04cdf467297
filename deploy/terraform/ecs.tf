# ECS Fargate: the api service behind the ALB and the worker service, from
# one image (the first argument picks the role), logs in CloudWatch.
resource "aws_ecs_cluster" "main" {
  name = local.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "sluice" {
  for_each          = toset(["api", "worker", "migrate"])
  name              = "/ecs/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
}

locals {
  # Everything but secrets: the rest is the image's /etc/sluice/sluice.toml.
  sluice_env = [
    { name = "SLUICE_HTTP_LISTEN", value = "0.0.0.0:8080" },
    { name = "SLUICE_HTTP_OPS_LISTEN", value = "0.0.0.0:9090" },
    { name = "SLUICE_HTTP_SHUTDOWN_GRACE_MS", value = tostring(var.shutdown_grace_ms) },
    { name = "SLUICE_STORE_URL", value = "postgres://sluice@${aws_rds_cluster.main.endpoint}:5432/sluice?sslmode=require" },
    { name = "SLUICE_STORE_READ_URL", value = "postgres://sluice@${aws_rds_cluster.main.reader_endpoint}:5432/sluice?sslmode=require" },
    { name = "SLUICE_STORE_MIGRATE_ON_START", value = "false" },
    { name = "SLUICE_BROKER_URL", value = "sns+sqs://${var.region}" },
    { name = "SLUICE_BROKER_NAMESPACE", value = var.namespace },
    { name = "SLUICE_AUTH_MODE", value = "required" },
  ]
  # RDS keeps the master secret as JSON {"username": ..., "password": ...}.
  sluice_secrets = [
    { name = "SLUICE_STORE_PASSWORD", valueFrom = "${aws_rds_cluster.main.master_user_secret[0].secret_arn}:password::" },
  ]
  stop_timeout = min(120, ceil(var.shutdown_grace_ms / 1000) + 10)
  container = { for role in ["api", "worker", "migrate"] : role => {
    name                   = role
    image                  = local.image
    command                = [role]
    essential              = true
    environment            = local.sluice_env
    secrets                = local.sluice_secrets
    stopTimeout            = local.stop_timeout
    readonlyRootFilesystem = false
    user                   = "10001:10001"
    portMappings = role == "api" ? [
      { containerPort = 8080, protocol = "tcp" },
      { containerPort = 9090, protocol = "tcp" },
    ] : []
    healthCheck = role == "migrate" ? null : {
      command     = ["CMD", "/usr/local/bin/sluice-entrypoint", "healthcheck"]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 15
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.sluice[role].name
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = role
      }
    }
  } }
}

resource "aws_ecs_task_definition" "sluice" {
  for_each                 = local.container
  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([each.value])
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
}

resource "aws_ecs_service" "api" {
  name                               = "${local.name}-api"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.sluice["api"].arn
  desired_count                      = var.api_count
  launch_type                        = "FARGATE"
  health_check_grace_period_seconds  = 30
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "api"
    container_port   = 8080
  }
  lifecycle {
    ignore_changes = [desired_count] # autoscaling owns it
  }
  depends_on = [aws_lb_listener.api]
}

resource "aws_ecs_service" "worker" {
  name                               = "${local.name}-worker"
  cluster                            = aws_ecs_cluster.main.id
  task_definition                    = aws_ecs_task_definition.sluice["worker"].arn
  desired_count                      = var.worker_min
  launch_type                        = "FARGATE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
  lifecycle {
    ignore_changes = [desired_count]
  }
}
