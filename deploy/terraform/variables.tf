variable "region" {
  description = "AWS region to deploy into, e.g. eu-west-1."
  type        = string
}

variable "namespace" {
  description = "Name prefix of every resource, and Sluice's broker.namespace: the SNS topics and SQS queues Sluice creates are <namespace>-<name>, and its IAM policy is scoped to those ARNs."
  type        = string
  default     = "sluice"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.namespace))
    error_message = "namespace: 2-31 characters, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC; two public and two private /20 subnets are carved from it (one each per availability zone)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "image_tag" {
  description = "Tag of the Sluice image in the ECR repository this creates (release.yml pushes the commit SHA and deploys it)."
  type        = string
  default     = "latest"
}

variable "subscriptions" {
  description = "Sluice subscription names (the config's [[subscriptions]], or one per resource when none): each SQS queue <namespace>-<subscription>'s depth drives worker autoscaling."
  type        = list(string)
  default     = ["users"]
}

variable "api_count" {
  description = "Desired number of api tasks (autoscaling moves it between api_min and api_max)."
  type        = number
  default     = 2
}

variable "api_min" {
  description = "Minimum api tasks."
  type        = number
  default     = 2
}

variable "api_max" {
  description = "Maximum api tasks."
  type        = number
  default     = 10
}

variable "worker_min" {
  description = "Minimum worker tasks."
  type        = number
  default     = 2
}

variable "worker_max" {
  description = "Maximum worker tasks."
  type        = number
  default     = 8
}

variable "task_cpu" {
  description = "Fargate CPU units of one task (256 = 0.25 vCPU)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate memory of one task, MiB."
  type        = number
  default     = 1024
}

variable "cpu_target" {
  description = "Target average CPU utilisation (%) for api and worker autoscaling."
  type        = number
  default     = 70
}

variable "queue_depth_target" {
  description = "Target visible messages per worker task in the subscription queues (worker autoscaling on queue depth)."
  type        = number
  default     = 5000
}

variable "shutdown_grace_ms" {
  description = "Sluice's http.shutdown_grace_ms; the ECS stop timeout and the ALB deregistration delay are derived from it."
  type        = number
  default     = 20000
}

variable "db_min_acu" {
  description = "Aurora Serverless v2 minimum capacity (ACUs)."
  type        = number
  default     = 0.5
}

variable "db_max_acu" {
  description = "Aurora Serverless v2 maximum capacity (ACUs)."
  type        = number
  default     = 8
}

variable "db_engine_version" {
  description = "Aurora PostgreSQL engine version (15.x: the SQL Sluice is tested with)."
  type        = string
  default     = "15.8"
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the ALB's HTTPS listener; empty = HTTP only (not for production)."
  type        = string
  default     = ""
}

variable "allowed_cidrs" {
  description = "Client CIDR blocks allowed to reach the ALB."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the api, worker and migrate log groups."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
