# Aurora PostgreSQL Serverless v2: a writer and a reader in the other AZ.
# The master password is generated and kept by RDS in AWS Secrets Manager
# (manage_master_user_password): it is in no variable, no tfvars file and no
# Terraform state. Sluice reads it at task start through the ECS secret
# reference below (SLUICE_STORE_PASSWORD).
resource "aws_db_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_rds_cluster" "main" {
  cluster_identifier          = local.name
  engine                      = "aurora-postgresql"
  engine_mode                 = "provisioned"
  engine_version              = var.db_engine_version
  database_name               = "sluice"
  master_username             = "sluice"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.main.name
  vpc_security_group_ids      = [aws_security_group.db.id]
  storage_encrypted           = true
  backup_retention_period     = 7
  preferred_backup_window     = "03:00-04:00"
  copy_tags_to_snapshot       = true
  deletion_protection         = true
  final_snapshot_identifier   = "${local.name}-final"

  serverlessv2_scaling_configuration {
    min_capacity = var.db_min_acu
    max_capacity = var.db_max_acu
  }
}

resource "aws_rds_cluster_instance" "writer" {
  identifier           = "${local.name}-writer"
  cluster_identifier   = aws_rds_cluster.main.id
  instance_class       = "db.serverless"
  engine               = aws_rds_cluster.main.engine
  engine_version       = aws_rds_cluster.main.engine_version
  availability_zone    = local.azs[0]
  promotion_tier       = 0
  db_subnet_group_name = aws_db_subnet_group.main.name
}

resource "aws_rds_cluster_instance" "reader" {
  identifier           = "${local.name}-reader"
  cluster_identifier   = aws_rds_cluster.main.id
  instance_class       = "db.serverless"
  engine               = aws_rds_cluster.main.engine
  engine_version       = aws_rds_cluster.main.engine_version
  availability_zone    = local.azs[1]
  promotion_tier       = 1
  db_subnet_group_name = aws_db_subnet_group.main.name
}
