# Least privilege. The execution role pulls the image, writes the logs and
# reads the database secret; the task role is what Sluice itself may do:
# SNS/SQS on its own namespace's topics and queues only (it creates them at
# start-up and in `sluice migrate`: <namespace>-<name>).
data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${var.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [aws_ecr_repository.sluice.arn]
  }
  statement {
    sid       = "EcrToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource-level scoping
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for g in aws_cloudwatch_log_group.sluice : "${g.arn}:*"]
  }
  statement {
    sid       = "DatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_rds_cluster.main.master_user_secret[0].secret_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

data "aws_iam_policy_document" "task" {
  statement {
    sid = "Topics"
    actions = [
      "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
      "sns:Publish", "sns:Subscribe", "sns:ListSubscriptionsByTopic",
    ]
    resources = ["arn:${local.partition}:sns:${var.region}:${local.account_id}:${var.namespace}-*"]
  }
  statement {
    sid = "Queues"
    actions = [
      "sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes",
      "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
    ]
    resources = ["arn:${local.partition}:sqs:${var.region}:${local.account_id}:${var.namespace}-*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "sns-sqs-namespace"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
