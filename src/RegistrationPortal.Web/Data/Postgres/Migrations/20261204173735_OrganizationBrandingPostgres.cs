using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RegistrationPortal.Web.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class OrganizationBrandingPostgres : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "EmailTemplates",
                columns: table => new
                {
                    OrgId = table.Column<string>(type: "character varying(40)", unicode: false, maxLength: 40, nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Body = table.Column<string>(type: "character varying(10000)", maxLength: 10000, nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EmailTemplates", x => new { x.OrgId, x.Kind });
                    table.ForeignKey(
                        name: "FK_EmailTemplates_Organizations_OrgId",
                        column: x => x.OrgId,
                        principalTable: "Organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "OrganizationBrandings",
                columns: table => new
                {
                    OrgId = table.Column<string>(type: "character varying(40)", unicode: false, maxLength: 40, nullable: false),
                    DisplayName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    PrimaryColor = table.Column<string>(type: "character varying(7)", unicode: false, maxLength: 7, nullable: true),
                    SupportContact = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    SenderName = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    ReplyTo = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: true),
                    Logo = table.Column<byte[]>(type: "bytea", maxLength: 262144, nullable: true),
                    LogoContentType = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: true),
                    LogoVersion = table.Column<string>(type: "character varying(32)", unicode: false, maxLength: 32, nullable: true),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OrganizationBrandings", x => x.OrgId);
                    table.ForeignKey(
                        name: "FK_OrganizationBrandings_Organizations_OrgId",
                        column: x => x.OrgId,
                        principalTable: "Organizations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EmailTemplates");

            migrationBuilder.DropTable(
                name: "OrganizationBrandings");
        }
    }
}
