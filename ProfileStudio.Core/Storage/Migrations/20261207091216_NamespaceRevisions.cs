using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProfileStudio.Core.Storage.Migrations
{
    /// <inheritdoc />
    public partial class NamespaceRevisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // As EditRevisions did for segments and computed attributes: every saved change raises Revision, the Namespaces dialog
            // sends back the one it loaded, and a save from a stale tab is refused. Rows saved before start at 1, as new ones do;
            // their UpdatedBy/UpdatedAt stay empty until their next save (a refusal names only a change saved since).
            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "IdentityNamespaces",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<DateTime>(
                name: "UpdatedAt",
                table: "IdentityNamespaces",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<string>(
                name: "UpdatedBy",
                table: "IdentityNamespaces",
                type: "TEXT",
                maxLength: 256,
                nullable: false,
                defaultValue: "");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Revision",
                table: "IdentityNamespaces");

            migrationBuilder.DropColumn(
                name: "UpdatedAt",
                table: "IdentityNamespaces");

            migrationBuilder.DropColumn(
                name: "UpdatedBy",
                table: "IdentityNamespaces");
        }
    }
}
